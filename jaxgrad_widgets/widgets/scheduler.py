"""The scheduler: when the dashboard's computations run.

The *primary* run is the descent for the current inputs. A fast one finishes at once.
A slow one (a big model, a function JAX cannot compile) runs in chunks of about
``COMPUTE_BUDGET`` seconds between the kernel's messages, so the kernel still answers
the browser, with its progress and partial paths shown as it goes; outside a Jupyter
kernel (a script, a test) it finishes at once. *Secondary* work (what the panels
compute ahead, such as the learning-rate family) runs after the primary, once the
kernel has been idle for ``SECONDARY_DELAY`` seconds, one task after another; a task
that may take long (a learning-rate sweep, the basins of a slow objective) returns an
iterator and is advanced one chunk per turn of the event loop, like a slow primary. A
newer primary supersedes both: its predecessor stops after its current chunk and
pending (and half-done) secondary work is dropped.
Python reading a result (``w.trajectory``) finishes the primary first.

Example:
    >>> from jaxgrad_widgets.engine import ChunkedRun, Objective, descent_for
    >>> shown = []
    >>> s = Scheduler(done=lambda run, fast, seconds: shown.append(run.summary(0)))
    >>> job = ChunkedRun(descent_for(Objective(lambda x: x**2), "sgd"), [[1.0]], 50,
    ...                  {"learning_rate": 0.1})
    >>> s.start(job).summary(0), shown, s.job is None
    ('converged at step 45', ['converged at step 45'], True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..engine import ChunkedRun, Trajectories
from .lifecycle import kernel_loop

#: Seconds of computation per turn of the kernel's event loop: a slow objective's
#: descent runs in chunks of about this long, so the kernel still answers the browser.
COMPUTE_BUDGET = 0.08
#: Seconds left free between two chunks: handling one kernel message takes several turns
#: of the event loop, and a chunk in every turn would delay it by several chunks.
COMPUTE_GAP = 0.02
#: While a slow descent runs, its partial paths are shown at most this often (seconds).
PARTIAL_EVERY = 0.5
#: Secondary work waits until no input has changed for this long (seconds): a slider
#: being dragged sends a value every few milliseconds, and only the last one matters.
SECONDARY_DELAY = 0.12


def _nothing(*_args: Any) -> None:
    """The default of every callback."""


class Scheduler:
    """Runs the primary descent (at once, or in chunks) and then the secondary work.

    Callbacks (each optional):
        done(run, fast, seconds): the primary finished; ``fast`` when it finished in the
            call that started it; ``seconds`` from its start to its end.
        partial(run): part of a slow primary, to show while the rest computes.
        progress(job): a slow primary's progress (None: it ended).
        guard(action, *args): runs an action for the kernel's event loop and turns an
            error into a visible message (returns None when it failed).

    Attributes:
        runs: how many primary runs were started (one per input change).
        cost: the seconds the last finished primary run computed, compiling aside.
    """

    def __init__(
        self,
        *,
        done: Callable[[Trajectories, bool, float], None] = _nothing,
        partial: Callable[[Trajectories], None] = _nothing,
        progress: Callable[[ChunkedRun | None], None] = _nothing,
        guard: Callable[..., Any] | None = None,
    ) -> None:
        self._done, self._partial, self._progress = done, partial, progress
        self._guard = guard or (lambda action, *args: action(*args))
        self.job: ChunkedRun | None = None
        self.runs = 0
        self.cost = 0.0
        self._started = 0.0
        self._partial_shown = 0.0
        self._later: dict[str, Callable[[], Iterator[Any] | None]] = {}
        self._later_handle: Any = None
        #: The secondary task being advanced chunk by chunk: (name, its iterator).
        self._stepping: tuple[str, Iterator[Any]] | None = None

    # ------------------------------------------------------------------ primary
    def start(self, job: ChunkedRun, wait: bool = False) -> Trajectories | None:
        """Make ``job`` the primary run (superseding any other) and start computing it.

        Returns the result when it finished here (fast, outside a kernel, or ``wait``).
        """
        self.cancel()
        self.runs += 1
        self.job, self._started = job, time.perf_counter()
        loop = kernel_loop()
        if job.advance(math.inf if wait or loop is None else COMPUTE_BUDGET):
            return self._finish(job, fast=True)
        self._partial_shown = time.perf_counter()
        self._progress(job)
        loop.call_later(COMPUTE_GAP, self._continue, job)
        return None

    def _continue(self, job: ChunkedRun) -> None:
        """One more chunk of a slow descent, unless a newer input superseded it."""
        if job is not self.job:
            return
        finished = self._guard(job.advance, COMPUTE_BUDGET)
        if finished is None:  # the objective failed: the message says how; the run ends
            self.cancel()
            return
        if finished:
            self._guard(self._finish, job, False)
            return
        self._progress(job)
        if time.perf_counter() - self._partial_shown >= PARTIAL_EVERY:
            self._partial_shown = time.perf_counter()
            self._guard(self._partial, job.result())
        loop = kernel_loop()
        if loop is not None:
            loop.call_later(COMPUTE_GAP, self._continue, job)
        else:
            self._guard(self.finish)

    def _finish(self, job: ChunkedRun, fast: bool) -> Trajectories:
        seconds = time.perf_counter() - self._started
        self.job = None
        self.cost = job.seconds
        self._progress(None)
        run = job.result()
        self._done(run, fast, seconds)
        return run

    def finish(self) -> None:
        """Complete the primary run now (Python asked for its result)."""
        job = self.job
        if job is not None and not job.finished:
            job.advance(math.inf)
            self._finish(job, fast=False)

    def cancel(self) -> None:
        """Stop the primary run and drop pending secondary work."""
        if self.job is not None:
            self.job = None
            self._progress(None)
        self._drop_later()

    # ------------------------------------------------------------------ secondary
    def later(self, name: str, task: Callable[[], Iterator[Any] | None]) -> None:
        """Run ``task`` once the kernel has been idle for SECONDARY_DELAY (replacing an
        earlier task of the same name, even half done); outside a kernel it is only
        kept, never run. A task that returns an iterator is advanced one ``next`` per
        turn of the event loop until it is exhausted."""
        self._later[name] = task
        if self._stepping is not None and self._stepping[0] == name:
            self._stepping = None  # its inputs changed: the rest of it is stale
        loop = kernel_loop()
        if loop is None:
            return
        if self._later_handle is not None:
            self._later_handle.cancel()  # debounced: the newest input waits its turn
        self._later_handle = loop.call_later(SECONDARY_DELAY, self._run_later)

    def background(self, name: str, work: Callable[[], Iterator[Any] | None]) -> None:
        """``work`` as secondary work in a kernel (see :meth:`later`); at once outside
        one (a script, a test), where nothing runs later.

        Example:
            >>> done = []
            >>> Scheduler().background("note", lambda: done.append("now")); done
            ['now']
        """
        if kernel_loop() is not None:
            self.later(name, work)
            return
        for _ in work() or ():
            pass

    def drop(self, name: str) -> None:
        """Forget the secondary task ``name``, pending or half done (its view was closed)."""
        self._later.pop(name, None)
        if self._stepping is not None and self._stepping[0] == name:
            self._stepping = None
            loop = kernel_loop()
            if self._later and loop is not None:
                self._later_handle = loop.call_later(COMPUTE_GAP, self._run_later)

    def pending(self, name: str) -> bool:
        return name in self._later or (self._stepping is not None and self._stepping[0] == name)

    def _run_later(self) -> None:
        self._later_handle = None
        if self.job is not None or self._stepping is not None:
            return  # the primary's end, or the stepping task's, comes back here
        while self._later:
            name = next(iter(self._later))
            work = self._guard(self._later.pop(name))
            if isinstance(work, Iterator):
                self._stepping = (name, work)
                self._step()
                return

    def _step(self) -> None:
        """One chunk of the secondary task being stepped; then the next turn's."""
        stepping = self._stepping
        if stepping is None:
            return
        more = self._guard(_advance, stepping[1])
        if self._stepping is not stepping:
            return  # dropped or replaced during the chunk
        loop = kernel_loop()
        if not more:
            self._stepping = None
            if self._later and loop is not None:
                self._later_handle = loop.call_later(COMPUTE_GAP, self._run_later)
            return
        if loop is not None:
            loop.call_later(COMPUTE_GAP, self._step)

    def _drop_later(self) -> None:
        self._later.clear()
        self._stepping = None
        if self._later_handle is not None:
            self._later_handle.cancel()
            self._later_handle = None


def _advance(work: Iterator[Any]) -> bool:
    """One ``next`` of ``work``: whether there is more of it."""
    try:
        next(work)
    except StopIteration:
        return False
    return True
