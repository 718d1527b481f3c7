"""Summaries of tensors, as ``capture_torch`` and ``from_torch`` on exported programs keep them:
shape-free statistics (numel, mean, std, min, max, norm) and the whole value of small tensors."""
from __future__ import annotations

import math

__all__ = ["FEW"]  # and _stats, _one: shared inside gradviz.pytorch

FEW = 6  # tensors of at most this many elements keep their whole value
# Summaries of CPU tensors bigger than this run on one thread. ATen splits such reductions across
# its OpenMP threads, and when the cores are busy (other processes, a loaded notebook server) each
# split reduction waits for a descheduled thread: measured here, 25-45 ms median for a 400k-element
# std on two threads against 0.4 ms on one. The model's own ops keep every thread.
_SERIAL_MAX = 32_768


def _stats(torch, t, few=FEW):
    """Summary of a tensor's value: numel, mean, std, min, max, norm (and ``values`` if few)."""
    with torch.no_grad():
        d = t.detach()
        n = d.numel()
        if not n or not d.is_floating_point() or d.device.type == "meta":
            return {"numel": n}  # nothing to summarise (empty, integer, complex, no data)
        if n >= 2:  # mean and std apart: std_mean is several times slower than both on CPU
            threads = torch.get_num_threads() if n > _SERIAL_MAX and d.device.type == "cpu" else 1
            if threads > 1:  # see _SERIAL_MAX
                torch.set_num_threads(1)
            try:
                mn, mx = torch.aminmax(d)
                nums = torch.stack([d.mean(), d.std(), mn, mx, torch.linalg.vector_norm(d)]).tolist()
            finally:
                if threads > 1:
                    torch.set_num_threads(threads)
            s = dict(zip(("mean", "std", "min", "max", "norm"), nums))
        else:
            v = d.reshape(()).item()
            s = {"mean": v, "min": v, "max": v, "norm": abs(v)}
        s["numel"] = n
        if n <= few:
            s["values"] = d.reshape(-1).tolist()
        return s


def _one(s):
    """The value of a one-element summary, NaN otherwise (Graph.data/grad are per-node scalars)."""
    if s and s.get("numel") == 1 and "values" in s:
        return float(s["values"][0])
    return math.nan

