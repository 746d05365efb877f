"""The learning-rate sweep: every rate of a grid, from every start, in one compiled call.

A sweep is a finals-only :class:`~.family.Family` over the learning rate, read as a
teacher reads it: where each run ends, whether it settled, diverged or is still
moving, the largest rate that is still safe, the best rate, and the limit that theory
predicts from the curvature at the minimum the runs approach.

Example:
    >>> import numpy as np
    >>> from jaxgrad_widgets.engine import Objective
    >>> quadratic = Objective(lambda x, y: x**2 + 10 * y**2)
    >>> s = learning_rate_sweep(quadratic, "sgd", [[1.0, 1.0]], 300,
    ...                         rates=10.0 ** np.linspace(-3, 0, 31))
    >>> s.final_loss.shape, round(float(s.stable_limit[0]), 3), s.theory_limit
    ((1, 31), 0.1, (0.1,))
    >>> bool(s.diverged[0, s.rates > 0.1].all()), bool(s.diverged[0, s.rates <= 0.1].any())
    (True, False)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optax

from .chunked import ChunkedRun
from .descent import DEFAULT_LIMITS, DEFAULT_TOLERANCE, Descent, Limits, descent_for
from .family import Family
from .landscape import classify_point
from .objective import Objective

#: Two final losses are a tie when they differ by less than this, relatively (float32
#: runs that settle in the same minimum end a few ulps apart); ties go to the rate that
#: converged first.
TIE = 1e-6
#: The most tied rates whose exact first converged step is looked up (one path-mode
#: call): finals are checked every 32 steps, so many rates converge "at step 63".
MOST_EXACT = 64
#: A run costing more than this fraction of the budget is a slow objective's: its rates
#: run one at a time a few steps per call, on the kernels its own run compiled (a family
#: kernel would compile for a second or more, holding the kernel).
STEPWISE = 0.25


@dataclass(frozen=True)
class Sweep:
    """Where every start ends at every learning rate of a grid.

    Attributes:
        rates: ``(n,)`` the learning rates.
        start_loss: ``(starts,)`` the loss at each start.
        final_loss: ``(starts, n)`` the loss where each run ends (its last finite
            point when it diverged).
        converged_at: ``(starts, n)`` the first checked step where the gradient was
            below the tolerance (checked every ``FINALS_CHECK_EVERY`` steps and at the
            last, as :class:`~.descent.Finals`), -1 where it never was.
        diverged: ``(starts, n)`` where the run's loss became non-finite or ended
            above where it started.
        final_points: ``(starts, n, d)`` where each run ends.
        stable_limit: ``(starts,)`` the largest rate of the grid below which no rate
            diverges (NaN when even the smallest does).
        best_rate: ``(starts,)`` the rate with the lowest final loss, ties broken by
            the earliest convergence, to the exact step (NaN when every rate diverges).
        theory_limit: per start, the largest stable rate that theory gives from the
            Hessian at the minimum the best run reaches: ``2 / lambda_max`` for plain
            gradient descent, ``2 (1 + momentum) / lambda_max`` for heavy-ball
            momentum; None for other optimizers or where no minimum is reached.
        theory: what ``theory_limit`` is, in words (empty when it has none).
        steps: the number of steps of every run.

    Example:
        >>> s = learning_rate_sweep(Objective(lambda x: x**2), "sgd", [[1.0]], 100,
        ...                         rates=[0.01, 0.1, 0.5, 1.5])
        >>> s.diverged.tolist(), float(s.best_rate[0]), s.theory
        ([[False, False, False, True]], 0.5, '2 / λmax')
    """

    rates: np.ndarray
    start_loss: np.ndarray
    final_loss: np.ndarray
    converged_at: np.ndarray
    diverged: np.ndarray
    final_points: np.ndarray
    stable_limit: np.ndarray
    best_rate: np.ndarray
    theory_limit: tuple[float | None, ...]
    theory: str
    steps: int

    @property
    def n_starts(self) -> int:
        return self.final_loss.shape[0]


def sweep_of(
    objective: Objective,
    family: Family,
    start_loss: np.ndarray,
    *,
    optimizer: str | optax.GradientTransformation,
    hyper: Mapping[str, float] | None = None,
    mask: Sequence[float] | None = None,
    exact: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Sweep:
    """Read a finals-only learning-rate :class:`~.family.Family` as a :class:`Sweep`.

    ``exact(indices)`` gives the exact first converged step ``(starts, len(indices))``
    of the rates at ``indices``: it breaks the best rate's ties finer than the finals'
    checks every 32 steps.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, family_trajectories
        >>> obj = Objective(lambda x: x**2)
        >>> fam = family_trajectories(obj, "sgd", [[1.0]], 50, values=[0.1, 2.0], finals=True)
        >>> sweep_of(obj, fam, np.array([1.0]), optimizer="sgd").diverged.tolist()
        [[False, True]]
    """
    if not family.finals or family.vary != "learning_rate":
        raise ValueError("a sweep reads a finals-only family over the learning rate")
    rates = np.asarray(family.values, np.float64)
    # (members, starts) -> (starts, members): one row per start, as the panel draws them.
    final_loss = np.asarray(family.loss, np.float64).T
    converged_at = np.asarray(family.converged_at).T.copy()
    blew_up = np.asarray(family.diverged_at).T >= 0
    start_loss = np.asarray(start_loss, np.float64).reshape(-1, 1)
    diverged = blew_up | ~np.isfinite(final_loss) | (final_loss > start_loss)
    converged_at[diverged] = -1
    stable = _stable_limit(rates, diverged)
    best = _best_rate(rates, final_loss, converged_at, diverged, exact)
    finals = np.asarray(family.params).transpose(1, 0, 2)
    limit, theory = _theory(objective, optimizer, hyper or {}, rates, best, finals, converged_at,
                            mask)  # fmt: skip
    return Sweep(
        rates=rates, start_loss=start_loss[:, 0], final_loss=final_loss,
        converged_at=converged_at, diverged=diverged, final_points=finals, stable_limit=stable,
        best_rate=best, theory_limit=limit, theory=theory, steps=family.steps,
    )  # fmt: skip


def _stable_limit(rates: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    """Per start, the largest rate below the first diverging one (in increasing rates)."""
    order = np.argsort(rates)
    limits = np.full(diverged.shape[0], np.nan)
    for j, row in enumerate(diverged[:, order]):
        first = int(np.argmax(row)) if row.any() else row.size
        if first > 0:
            limits[j] = rates[order[first - 1]]
    return limits


def _best_rate(rates, final_loss, converged_at, diverged, exact=None) -> np.ndarray:
    never = converged_at.max(initial=0) + 1
    when = np.where(converged_at >= 0, converged_at, never)
    groups: list[np.ndarray] = []
    for j in range(final_loss.shape[0]):
        ok = ~diverged[j] & np.isfinite(final_loss[j])
        if not ok.any():
            groups.append(np.empty(0, int))
            continue
        lowest = final_loss[j][ok].min()
        tied = np.flatnonzero(ok & (final_loss[j] <= lowest + TIE * max(abs(lowest), 1.0)))
        # The earliest checked convergence (never converged last) ...
        groups.append(tied[when[j, tied] == when[j, tied].min()])
    first = np.full(final_loss.shape, never)
    looked_up = np.unique(np.concatenate(groups)) if groups else np.empty(0, int)
    if exact is not None and 1 < looked_up.size <= MOST_EXACT:
        steps = exact(looked_up)
        first[:, looked_up] = np.where(steps >= 0, steps, never)
    best = np.full(final_loss.shape[0], np.nan)
    for j, group in enumerate(groups):
        if group.size:
            # ... then the exact first converged step, then the lower loss.
            pick = group[np.lexsort((final_loss[j][group], first[j, group]))[0]]
            best[j] = rates[pick]
    return best


def _theory(objective, optimizer, hyper, rates, best, finals, converged_at, mask):
    """The stability limit theory gives at the minimum each start's best run reaches."""
    name = optimizer if isinstance(optimizer, str) else None
    if name == "sgd":
        factor, theory = 2.0, "2 / λmax"
    elif name == "momentum":
        factor, theory = 2.0 * (1.0 + float(hyper.get("momentum", 0.9))), "2 (1 + β) / λmax"
    else:
        return tuple(None for _ in best), ""
    free = None if mask is None else [i for i, m in enumerate(mask) if m]
    limits: list[float | None] = []
    for j, rate in enumerate(best):
        if not np.isfinite(rate):
            limits.append(None)
            continue
        m = int(np.flatnonzero(rates == rate)[0])
        if converged_at[j, m] < 0:
            limits.append(None)
            continue
        point = classify_point(objective, finals[j, m], dims=free)
        if point.kind != "minimum":
            limits.append(None)
            continue
        limits.append(float(factor / point.eigenvalues.max()))
    return tuple(limits), theory


class SweepJob:
    """A sweep computed a group of rates at a time, for objectives too slow to run at once.

    Args:
        descent: the compiled descent (objective and optimizer).
        starts, steps, hyper, rates, tol, mask: as :func:`learning_rate_sweep`.
        run_seconds: what one run from these starts costs (None: unknown). The rates
            then go in groups that take about the budget each; a fast objective's
            whole grid is one call (one compilation, whatever the grid's size). A run
            slower than ``STEPWISE`` budgets is computed a few steps at a time
            (:class:`~.chunked.ChunkedRun`), one rate after another.

    Example:
        >>> from jaxgrad_widgets.functions import goldfield
        >>> job = SweepJob(descent_for(Objective(goldfield), "sgd"), [[0.1, 0.1]], 300,
        ...                rates=[0.001, 0.01, 0.1, 1.0], run_seconds=0.05)
        >>> while not job.advance(0.1):
        ...     pass
        >>> job.progress, job.result().diverged.tolist()
        (1.0, [[False, False, False, True]])
    """

    def __init__(
        self,
        descent: Descent,
        starts: Any,
        steps: int,
        hyper: Mapping[str, float] | None = None,
        *,
        rates: Sequence[float],
        tol: float = DEFAULT_TOLERANCE,
        mask: Sequence[float] | None = None,
        run_seconds: float | None = None,
    ) -> None:
        from .family import check_family_values

        self.descent = descent
        self.rates = check_family_values(descent, "learning_rate", rates, descent.limits)
        self.starts = descent._check_starts(starts, descent.limits.max_final_starts)
        self._call = dict(steps=steps, hyper=hyper, tol=tol, mask=mask)
        self.done = 0
        self.seconds = 0.0
        self._run_seconds = run_seconds
        self._parts: list[Family] = []
        self._member: ChunkedRun | None = None  # the rate being computed step by step

    @property
    def progress(self) -> float:
        return self.done / self.rates.size

    @property
    def finished(self) -> bool:
        return self.done >= self.rates.size

    def _group(self, budget: float) -> int:
        left = self.rates.size - self.done
        if self._run_seconds is None or left * self._run_seconds <= budget:
            return left
        # A power of two: the family kernel compiles once per padded member count.
        fitting = max(int(budget / self._run_seconds), 1)
        return min(2 ** int(math.log2(fitting)), left)

    def advance(self, budget: float) -> bool:
        """Compute about ``budget`` seconds more (at least one rate); True when done."""
        spent = 0.0
        while not self.finished and (spent == 0.0 or spent < budget):
            slow = self._run_seconds is not None and self._run_seconds > STEPWISE * budget
            if self._member is not None or slow:
                began = time.perf_counter()
                self._advance_member(budget - spent)
                spent += time.perf_counter() - began
                continue
            count = self._group(budget - spent if math.isfinite(budget) else budget)
            values = self.rates[self.done : self.done + count]
            started, traces = time.perf_counter(), self.descent.trace_count
            call = self._call
            self._parts.append(self.descent.family(
                self.starts, call["steps"], call["hyper"], values=values, vary="learning_rate",
                tol=call["tol"], mask=call["mask"], finals=True,
            ))  # fmt: skip
            took = time.perf_counter() - started
            spent += took
            if self.descent.trace_count == traces:  # a compiling call says nothing of cost
                self.seconds += took
                self._run_seconds = took / count
            self.done += count
        return self.finished

    def _advance_member(self, budget: float) -> None:
        """A few more steps of the current rate's run; kept as a one-member family when done."""
        call = self._call
        if self._member is None:
            self._member = ChunkedRun(self.descent, self.starts, call["steps"],
                                      self._hyper_at(self.rates[self.done]), tol=call["tol"],
                                      mask=call["mask"])  # fmt: skip
        run, before = self._member, self._member.seconds
        finished = run.advance(max(budget, 0.0))
        self.seconds += run.seconds - before
        if not finished:
            return
        paths = run.result()
        rows = np.arange(paths.n_starts)
        last = [paths.final_index(j) for j in rows]
        self._parts.append(Family(
            vary="learning_rate", values=self.rates[self.done : self.done + 1],
            params=paths.params[rows, last][None], loss=paths.loss[rows, last][None],
            grad=None, diverged_at=paths.diverged_at[None], converged_at=paths.converged_at[None],
            steps=paths.steps, tolerance=paths.tolerance, finals=True,
        ))  # fmt: skip
        self._member = None
        self.done += 1

    def result(self) -> Sweep:
        """The sweep (once :meth:`advance` returned True)."""
        if not self.finished:
            raise RuntimeError("the sweep is not finished: advance it first")
        parts = self._parts
        joined = parts[0] if len(parts) == 1 else Family(
            vary="learning_rate", values=self.rates,
            params=np.concatenate([p.params for p in parts]),
            loss=np.concatenate([p.loss for p in parts]), grad=None,
            diverged_at=np.concatenate([p.diverged_at for p in parts]),
            converged_at=np.concatenate([p.converged_at for p in parts]),
            steps=parts[0].steps, tolerance=parts[0].tolerance, finals=True,
        )  # fmt: skip
        objective = self.descent.objective
        start_loss = np.asarray([float(objective.value(p)) for p in self.starts])
        optimizer = self.descent.spec.name if self.descent.spec.injectable else "custom"
        return sweep_of(objective, joined, start_loss, optimizer=optimizer,
                        hyper=self._call["hyper"], mask=self._call["mask"],
                        exact=self._exact)  # fmt: skip

    def _exact(self, indices: np.ndarray) -> np.ndarray:
        """The exact first converged step at the rates of ``indices``, from every start.

        One path run per rate, on the program a dashboard's (or a race's) own run of
        these starts uses, so nothing compiles for it; a path-mode family of the tied
        rates would compile a program of its own (about 0.15 s on a CPU) for the same
        steps, bit for bit.
        """
        call = self._call
        steps = [
            self.descent.run(self.starts, call["steps"], self._hyper_at(rate), tol=call["tol"],
                             mask=call["mask"]).converged_at
            for rate in self.rates[indices]
        ]  # fmt: skip
        return np.stack(steps, axis=1)

    def _hyper_at(self, rate: float) -> dict[str, float]:
        """The sweep's hyperparameters, checked, with the learning rate ``rate``: one
        rate's single run, as the family runs that member."""
        checked = self.descent.spec.check_hyperparameters(self._call["hyper"])
        return {**checked, "learning_rate": float(rate)}


def learning_rate_sweep(
    objective: Objective,
    optimizer: str | optax.GradientTransformation,
    starts: Any,
    steps: int,
    hyper: Mapping[str, float] | None = None,
    *,
    rates: Sequence[float],
    tol: float = DEFAULT_TOLERANCE,
    mask: Sequence[float] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Sweep:
    """Descend from every start at every rate of ``rates`` (one finals-only family call).

    Args:
        objective, optimizer, starts, steps, hyper, tol, mask: as
            :func:`~jaxgrad_widgets.engine.trajectories` (``hyper``'s learning rate is
            ignored).
        rates: the learning rates, each within the optimizer's range.

    Example:
        >>> from jaxgrad_widgets.functions import goldfield
        >>> s = learning_rate_sweep(Objective(goldfield), "sgd", [[0.1, 0.1], [-0.5, -0.5]],
        ...                         300, rates=[0.001, 0.01, 0.05, 0.1, 0.2])
        >>> s.final_loss.shape, s.stable_limit.tolist(), s.best_rate.tolist()
        ((2, 5), [0.2, 0.1], [0.1, 0.1])
    """
    job = SweepJob(descent_for(objective, optimizer, limits), starts, steps, hyper, rates=rates,
                   tol=tol, mask=mask)  # fmt: skip
    job.advance(math.inf)
    return job.result()
