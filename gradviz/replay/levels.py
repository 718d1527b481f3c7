"""The level of every node of a graph for a vectorised replay: leaves 0, an op one above its deepest
operand, a whole ``+`` chain one above all its operands. Wide graphs are levelled in numpy rounds,
deep ones by one Python pass in id order."""
from __future__ import annotations

import numpy as np

__all__ = ["levels"]


def levels(has, inner, chains, a, b):
    """Leaves 0, an op one above its deepest operand, a whole chain one above all its operands
    (its inner links then take the chain's level). Wide graphs (a few levels for many ops) are
    levelled a level at a time in numpy (``_levels_by_rounds``); deep ones, where that would take
    a numpy round per op, by one pass in id order over the ops and chain tops (a chain's operands
    all have smaller ids than its top)."""
    n = len(has)
    ids = np.flatnonzero(has & ~inner)
    level = _levels_by_rounds(n, ids, chains, a, b)
    if level is None:
        level = _levels_in_order(n, ids, chains.as_dict(), a, b)
    if len(chains):
        level[chains.nodes] = level[np.repeat(chains.tops, chains.lengths())]
    return level


def _levels_in_order(n, ids, chain_of, a, b):
    """``levels`` by one Python pass over the op nodes ``ids`` (ascending), inner links left 0;
    ``chain_of``: {chain top: its operands}."""
    lvl = [0] * (n + 1)  # lvl[-1], read for a missing operand b = -1, stays 0
    get = lvl.__getitem__
    tops = chain_of.get
    for i, x, y in zip(ids.tolist(), a[ids].tolist(), b[ids].tolist()):
        ch = tops(i)
        if ch is None:
            p = lvl[x]
            q = lvl[y]
            lvl[i] = (p if p > q else q) + 1
        else:
            lvl[i] = max(map(get, ch)) + 1
    return np.array(lvl[:n], dtype=np.intp)


def _levels_by_rounds(n, ids, chains, a, b):
    """``levels`` a level at a time (Kahn's algorithm, one numpy round per level): a node's level
    is the round in which its last operand got one. Inner links, which only their chain reads,
    stay 0 as in ``_levels_in_order``. Each round looks at the operand slots not yet levelled: None
    once the graph proves too deep for rounds to pay (more than 64 + one per 2000 ops, or four
    times the slots looked at in all), where the Python pass is cheaper."""
    limit = 64 + len(ids) // 2000
    is_top = np.zeros(n, dtype=bool)
    is_top[chains.tops] = True
    reg = ids[~is_top[ids]]
    two = reg[b[reg] >= 0]
    src = np.concatenate([a[reg], b[two], chains.operands])  # operand -> consumer, every operand slot
    dst = np.concatenate([reg, two, np.repeat(chains.tops, chains.lengths() + 1)])
    need = np.bincount(dst, minlength=n)  # operand slots still without a level
    level = np.zeros(n, dtype=np.intp)
    done = need == 0  # leaves (and inner links, read as 0)
    lv, budget = 0, 4 * len(src)  # slots a round may look at, in all
    while len(src):  # the slots whose operand has no level yet; each round drops the rest
        budget -= len(src)
        if lv == limit or budget < 0:
            return None
        now = done[src]
        need -= np.bincount(dst[now], minlength=n)
        src, dst = src[~now], dst[~now]
        ready = np.flatnonzero((need == 0) & ~done)
        lv += 1
        level[ready] = lv
        done[ready] = True
    return level
