"""A descent computed a few steps at a time, for objectives too slow to run at once.

A widget must answer its next message within about a tenth of a second. For most
objectives a whole run takes well under a millisecond; a slow one (a big model, a
simulation, an un-jittable Python function) can take seconds. :class:`ChunkedRun`
computes the same records as :meth:`Descent.run`, but in chunks sized by measured time,
so the caller can hand control back between chunks, show progress, and drop the run
when its inputs change.

Example:
    >>> from jaxgrad_widgets.engine import Objective, descent_for
    >>> from jaxgrad_widgets.functions import goldfield
    >>> job = ChunkedRun(descent_for(Objective(goldfield), "sgd"), [[0.1, 0.1]], 300,
    ...                  {"learning_rate": 0.05})
    >>> while not job.advance(0.05):
    ...     pass
    >>> job.result().summary(0), job.progress
    ('converged at step 98', 1.0)
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .descent import DEFAULT_TOLERANCE, Descent, Trajectories
from .minibatch import Minibatch


class ChunkedRun:
    """One path-mode run of a :class:`Descent`, advanced within a time budget per call.

    Args: as :meth:`Descent.run`.

    Attributes:
        done: records computed so far (of ``total`` = steps + 1).
        chunks: the number of records each kernel call computed, in order.
        longest_call: the longest single kernel call, in seconds (compiling calls aside).
        seconds: the time all kernel calls took, compiling calls aside: what the same
            run costs next time.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, descent_for
        >>> job = ChunkedRun(descent_for(Objective(lambda x: x**2), "sgd"), [[1.0]], 50,
        ...                  {"learning_rate": 0.1})
        >>> job.advance(float("inf")), job.done, job.total
        (True, 51, 51)
    """

    def __init__(
        self,
        descent: Descent,
        starts: Any,
        steps: int,
        hyper: Mapping[str, float] | None = None,
        *,
        tol: float = DEFAULT_TOLERANCE,
        mask: Sequence[float] | None = None,
        minibatch: Minibatch | None = None,
    ) -> None:
        self.descent = descent
        self.job = descent.prepare_paths(
            starts, steps, hyper, tol=tol, mask=mask, minibatch=minibatch
        )
        self.total = self.job.steps + 1
        self.done = 0
        self.chunks: list[int] = []
        self.longest_call = 0.0
        self.seconds = 0.0
        self._carry: Any = None
        self._padded = self.job.padded.shape[0]

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def progress(self) -> float:
        """The fraction of records computed, from 0 to 1."""
        return self.done / self.total

    def _chunk_size(self, seconds_left: float, per_record: float | None) -> int:
        if per_record is None:
            return 1  # nothing measured yet: one record tells the cost of the rest
        return int(max(1, min(self.total - self.done, seconds_left / max(per_record, 1e-9))))

    def _measured(self, per_record: float) -> None:
        """Keep the cost per record: up at once when it grows, down by halves when it
        shrinks, so one quick call (a warm cache) does not size the next chunk too big."""
        known = self.descent.record_seconds.get(self._padded)
        if known is not None and per_record < known:
            per_record = (known + per_record) / 2
        self.descent.record_seconds[self._padded] = per_record

    def advance(self, seconds: float) -> bool:
        """Compute chunks for about ``seconds`` (at least one chunk); True when finished.

        Each chunk is sized from the last measured cost per record, so no single
        kernel call should take much longer than ``seconds``.
        """
        started = time.perf_counter()
        descent, job = self.descent, self.job
        if self._carry is None:
            traces, begun = descent.trace_count, time.perf_counter()
            self._carry = descent._begin(job.padded, job.controls, job.buffer_len)
            if descent.trace_count != traces:
                started += time.perf_counter() - begun  # compiling is not computing
        ran = False
        while not self.finished:
            left = seconds - (time.perf_counter() - started)
            per_record = self.descent.record_seconds.get(self._padded)
            # After one chunk, start another only if a record of it fits what is left.
            if ran and (left <= 0 or (per_record is not None and per_record > left)):
                break
            ran = True
            size = self._chunk_size(left, per_record)
            traces, call_started = descent.trace_count, time.perf_counter()
            self._carry = descent._advance(
                self._carry, job.controls, self.done, self.done + size, job.batch_size, job.data
            )
            _block(self._carry)
            elapsed = time.perf_counter() - call_started
            if descent.trace_count != traces:
                # This call compiled the kernel: a one-off cost that says nothing of
                # the next chunk's, so it neither sizes chunks nor spends the budget.
                started += elapsed
            else:
                self.longest_call = max(self.longest_call, elapsed)
                self.seconds += elapsed
                self._measured(elapsed / size)
            self.done += size
            self.chunks.append(size)
        return self.finished

    def result(self) -> Trajectories:
        """The records computed so far (all of them once finished).

        Until then, ``steps`` of the result is the records done minus one, and its
        divergence and convergence steps are those seen so far.
        """
        if self._carry is None or self.done == 0:
            raise RuntimeError("no step computed yet: call advance() first")
        _, _, record, diverged, converged = self._carry
        events = np.stack([np.asarray(diverged), np.asarray(converged)])
        return self.job.trajectories(record, events, self.done)


def _block(carry: Any) -> None:
    """Wait for a jitted chunk to finish, so its time is measured and bounded here."""
    record = carry[2]
    if hasattr(record, "block_until_ready"):
        record.block_until_ready()
