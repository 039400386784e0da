"""How the dispatch sweeps (deadline alerts, supervision levels) work through what is due: a batch of ids at a
time, a chunk of them per transaction, within a time budget under the task's time limit."""

import time
from collections.abc import Callable

# Cases locked and acted on per transaction: few enough to keep lock times short, many enough that the
# per-transaction round trips stop dominating.
CHUNK = 200
DUE_BATCH = 500
SWEEP_BUDGET_SECONDS = 30


def sweep_due(
    read: Callable[[int], list[int]], act: Callable[[list[int]], int], *, budget_ends: float
) -> int:
    """Read due ids (`read(limit)`) and act on them a chunk at a time (`act(ids)` → how many it did), until
    a short batch (nothing more due), a batch on which nothing was done (another sweeper holds those rows),
    or the end of the budget (a time.monotonic() value; the next beat picks up any rest). Returns how many
    were done."""
    done_total = 0
    while True:
        due = read(DUE_BATCH)
        done = sum(act(due[start : start + CHUNK]) for start in range(0, len(due), CHUNK))
        done_total += done
        if len(due) < DUE_BATCH or done == 0 or time.monotonic() > budget_ends:
            return done_total
