"""Chains of ``+``: c1 = x0 + t1, c_k = c_(k-1) + t_k, where each c_(k-1) feeds only c_k (a
neuron's ``b + w0*x0 + w1*x1 + ...``, a sum). The replays run each chain as one running sum, whose
additions are the engine's, in its order (a + b == b + a exactly, so the side a link sits on is
free). Found here once, in numpy, for the Tape and for Batched.
"""
from __future__ import annotations

import numpy as np

__all__ = ["PlusChains", "plus_chains"]


class PlusChains:
    """The ``+`` chains of a graph as flat arrays: chain k has nodes c1..cm
    ``nodes[cut[k]:cut[k + 1]]`` (its top ``tops[k]`` = cm last) and operands x0, t1..tm
    ``operands[cut[k] + k:cut[k + 1] + k + 1]``."""

    __slots__ = ("tops", "nodes", "cut", "operands")

    def __len__(self):
        return len(self.tops)

    def lengths(self):
        return np.diff(self.cut)

    def operand_ptr(self):
        return self.cut + np.arange(len(self.cut))

    def as_dict(self):
        """{top: operand list} (the pass in id order reads them one chain at a time)."""
        ops_l, ptr = self.operands.tolist(), self.operand_ptr().tolist()
        return {t: ops_l[p0:p1] for t, p0, p1 in zip(self.tops.tolist(), ptr[:-1], ptr[1:])}

    def by_top(self):
        """{top: (nodes c1..cm, operands x0, t1..tm)}, as lists (for a pass in Python)."""
        nodes, cut = self.nodes.tolist(), self.cut.tolist()
        ops_l, ptr = self.operands.tolist(), self.operand_ptr().tolist()
        return {nodes[c1 - 1]: (nodes[c0:c1], ops_l[p0:p1])
                for c0, c1, p0, p1 in zip(cut[:-1], cut[1:], ptr[:-1], ptr[1:])}


def plus_chains(plus, a, b, npar):
    """Chains c_k = c_{k-1} + t_k where c_{k-1} is a '+' used by c_k alone. Returns each node's
    link (the c_{k-1} it continues, or -1), the chains of two or more (``PlusChains``), and a mask
    of the nodes inside a chain (all but its top)."""
    n = len(plus)
    link = np.full(n, -1, dtype=np.intp)
    la = plus & plus[a] & (npar[a] == 1)
    lb = plus & ~la & plus[b] & (npar[b] == 1)
    link[la] = a[la]
    link[lb] = b[lb]
    other = np.where(link == a, b, a)
    nxt = np.full(n, -1, dtype=np.intp)
    linked = np.flatnonzero(link >= 0)
    nxt[link[linked]] = linked
    # each linked node's chain head, by pointer jumping over the nodes not yet at their head;
    # a chain's links have increasing ids, so sorting by (head, id) puts every chain in order
    head = np.where(link >= 0, link, np.arange(n))
    moving = np.flatnonzero(link >= 0)
    while len(moving):
        hop = head[head[moving]]
        still = hop != head[moving]
        head[moving] = hop
        moving = moving[still]
    members = np.flatnonzero((link >= 0) | (plus & (nxt >= 0)))
    members = members[np.argsort(head[members] * n + members, kind="stable")]
    cut = np.flatnonzero(np.r_[True, head[members][1:] != head[members][:-1], True]) if len(members) \
        else np.zeros(1, dtype=np.intp)
    chains = PlusChains()
    chains.nodes, chains.cut, chains.tops = members, cut, members[cut[1:] - 1]
    k = np.arange(len(cut) - 1)
    heads = members[cut[:-1]]
    opers = np.empty(len(members) + len(k), dtype=np.intp)
    opers[cut[:-1] + k] = a[heads]  # x0, t1: the head's operands
    opers[cut[:-1] + k + 1] = b[heads]
    rest = np.ones(len(members), dtype=bool)
    rest[cut[:-1]] = False  # c2..cm: each one's operand that is not its link
    opers[np.flatnonzero(rest) + np.repeat(k, np.diff(cut))[rest] + 1] = other[members[rest]]
    chains.operands = opers
    inner = np.zeros(n, dtype=bool)
    inner[members] = True
    inner[chains.tops] = False
    return link, chains, inner
