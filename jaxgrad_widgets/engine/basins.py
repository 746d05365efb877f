"""Basins of attraction: which minimum gradient descent reaches from every start of a map.

Every cell centre of an ``n x n`` grid over two parameters is a start; all of them
descend together in one compiled finals-only call (:meth:`Descent.finals`), and each
run is labelled by the minimum it ends at: an index into :attr:`Basins.minima`, ``-1``
where it diverged, ``-2`` where it ended near no minimum (still moving far from one,
or stopped on a saddle or a maximum).

The minima are the ones the caller knows (``minima=``) and those the runs find:
converged end points are clustered in cells a basin radius wide (:data:`BASIN_RADIUS`
of the view's diagonal) and each cluster's lowest point is kept if its Hessian says
minimum. :class:`BasinsJob` computes the same map in row blocks within a time budget,
for objectives too slow to run at once. An objective ``jax.jit`` cannot trace descends
in Python, milliseconds a step, so its map is coarse (see :func:`grid_side`).

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.functions import goldfield
    >>> b = basins_of_attraction(Objective(goldfield), "sgd", [(-2, 2), (-2, 2)], 500,
    ...                          {"learning_rate": 0.05}, resolution=32)
    >>> b.labels.shape, b.minima.round(3).tolist()
    ((32, 32), [[-1.0, -1.0], [1.0, 1.0]])
    >>> int(b.labels[8, 8]), int(b.labels[24, 24])  # starts near (-1, -1) and (1, 1)
    (0, 1)
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optax

from .chunked import ChunkedRun
from .descent import DEFAULT_LIMITS, DEFAULT_TOLERANCE, Descent, Limits, check_steps, descent_for
from .errors import DescentConfigError, ObjectiveError
from .landscape import check_bounds, classify_point
from .objective import Objective

#: Largest grid side: 512 x 512 starts is ``Limits.max_final_starts``.
MAX_BASINS_RESOLUTION = 512

#: An end point belongs to a minimum within this fraction of the diagonal of the bounds
#: (2%: 7 cells of a 256 grid, 1.8 of a 64 grid). Converged runs end within tol / curvature of
#: their minimum, far inside it; a run still crawling along a flat valley may be
#: labelled with the minimum it is about to reach, one far from every minimum is not.
BASIN_RADIUS = 0.02

#: At most this many clusters of converged end points are classified as candidate
#: minima (the most populated first); end points of the others are labelled -2.
MAX_CLUSTERS = 32

#: Largest grid side for an un-jittable objective. Its descent runs in Python, about
#: 5 ms per start and step (measured with goldfield behind a Python ``if``), so even
#: 16 x 16 starts x 500 steps is ten minutes; see also UNJITTABLE_BASINS_WORK.
UNJITTABLE_BASINS_RESOLUTION = 16

#: Starts x (steps + 1) at most for an un-jittable objective (about 100 s at 5 ms
#: each): with many steps the side shrinks below UNJITTABLE_BASINS_RESOLUTION (500
#: steps: 6 x 6), never below 2.
UNJITTABLE_BASINS_WORK = 20_000

#: Labels of runs that did not end in a minimum.
#: A gradient this slow (seconds) or slower makes a basin map run stepwise.
STEPWISE_GRADIENT = 0.005
DIVERGED = -1
NOWHERE = -2


@dataclass(frozen=True)
class Basins:
    """Where descent from every cell of a map ends.

    Attributes:
        xs: ``(n,)`` cell centres along the map's x parameter,
            ``lo + (j + 0.5) * (hi - lo) / n``: the cells tile the bounds exactly.
        ys: ``(n,)`` likewise along y.
        labels: ``(n, n)`` int16; ``labels[i, j]`` is for the start at
            ``(xs[j], ys[i])`` (as :class:`~.landscape.Grid` values): an index into
            ``minima``, -1 where the run diverged, -2 where it ended near no minimum.
        minima: ``(m, 2)`` the minima in map coordinates, sorted by x then y.
        minimum_points: ``(m, d)`` the same minima as full points.
        steps: ``(n, n)`` int32, the first checked step at which the run converged
            (as :attr:`Finals.converged_at`: every ``FINALS_CHECK_EVERY`` steps; every
            step for an un-jittable objective), -1 where it never did or diverged.
        total_steps: the steps every run was given.
        dims: the two parameters of the map.
        bounds: the map's ``((x_lo, x_hi), (y_lo, y_hi))``.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> b = basins_of_attraction(Objective(lambda x, y: x**2 + y**2), "sgd",
        ...                          [(-1, 1), (-1, 1)], 100, {"learning_rate": 0.1}, resolution=4)
        >>> b.xs.tolist(), b.labels.tolist()[0], b.minima.shape, bool(abs(b.minima).max() < 1e-6)
        ([-0.75, -0.25, 0.25, 0.75], [0, 0, 0, 0], (1, 2), True)
    """

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    minima: np.ndarray
    minimum_points: np.ndarray
    steps: np.ndarray
    total_steps: int
    dims: tuple[int, int]
    bounds: tuple[tuple[float, float], tuple[float, float]]


def _check_resolution(resolution: Any, limits: Limits) -> int:
    """``resolution`` as an int from 2 to the largest grid side, or a clear error."""
    largest = min(MAX_BASINS_RESOLUTION, math.isqrt(limits.max_final_starts))
    if isinstance(resolution, float) and resolution.is_integer():
        resolution = int(resolution)
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer):
        raise DescentConfigError(f"resolution must be a whole number, not {resolution!r}")
    if not 2 <= resolution <= largest:
        raise DescentConfigError(
            f"resolution={resolution}: the grid side must be from 2 to {largest}"
        )
    return int(resolution)


def _check_dims(objective: Objective, dims: Any) -> tuple[int, int]:
    if objective.dim < 2:
        raise ObjectiveError(
            f"{objective.name} has one parameter: a basin map needs two to draw against"
        )
    try:
        pair = tuple(int(d) for d in dims)
    except (TypeError, ValueError):
        raise ObjectiveError(
            f"dims must be two parameter positions such as (0, 1), not {dims!r}"
        ) from None
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ObjectiveError(f"dims must be two different parameters, not {dims!r}")
    if not all(0 <= d < objective.dim for d in pair):
        raise ObjectiveError(
            f"dims {pair} name a parameter {objective.name} does not have "
            f"(positions 0 to {objective.dim - 1})"
        )
    return pair[0], pair[1]


def _check_points(value: Any, dim: int, what: str) -> np.ndarray:
    """``value`` as finite float64 full points ``(k, dim)``, or a clear error."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DescentConfigError(f"{what} must be numbers, not {value!r}") from None
    if array.ndim == 1 and array.size == dim:
        array = array[None, :]
    if array.size == 0:
        return np.zeros((0, dim))
    if array.ndim != 2 or array.shape[1] != dim:
        raise DescentConfigError(
            f"{what} must be full points of {dim} parameters each, got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise DescentConfigError(f"{what} must be finite numbers (no NaN or infinity)")
    return array


def grid_side(objective: Objective, resolution: int, steps: int, slow: bool = False) -> int:
    """The grid side a basin map of ``objective`` uses for ``resolution`` and ``steps``.

    A jittable objective gets ``resolution``; an un-jittable one, whose descent runs in
    Python, or a ``slow`` one (a gradient of milliseconds: a simulation, a big model),
    at most ``UNJITTABLE_BASINS_RESOLUTION`` and at most what keeps starts x
    (steps + 1) within ``UNJITTABLE_BASINS_WORK``.

    Example:
        >>> import warnings
        >>> from jaxgrad_widgets.engine import Objective
        >>> def bowl(x, y):
        ...     return x**2 + y**2 if x > 0 else x**2 + 2 * y**2
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     slow = Objective(bowl)
        >>> grid_side(Objective(lambda x, y: x * y), 256, 500), grid_side(slow, 256, 500)
        (256, 6)
    """
    if objective.jittable and not slow:
        return resolution
    affordable = max(2, math.isqrt(UNJITTABLE_BASINS_WORK // (steps + 1)))
    return min(resolution, UNJITTABLE_BASINS_RESOLUTION, affordable)


def cell_centres(lo: float, hi: float, n: int) -> np.ndarray:
    """The centres of ``n`` equal cells tiling ``[lo, hi]``, as float64.

    Computed as weighted means of the ends, so symmetric bounds give centres exactly
    symmetric about 0 (and an odd ``n`` a centre exactly at 0).

    Example:
        >>> cell_centres(-1.0, 1.0, 3).tolist(), cell_centres(0.0, 1.0, 2).tolist()
        ([-0.6666666666666666, 0.0, 0.6666666666666666], [0.25, 0.75])
    """
    odd = 2 * np.arange(n, dtype=np.float64) + 1
    return (lo * (2 * n - odd) + hi * odd) / (2 * n)


class BasinsJob:
    """A basin map computed in row blocks, each within a time budget (like ChunkedRun).

    Args: as :func:`basins_of_attraction`; every input is checked here, at once.
        ``gradient_seconds``: what one gradient costs; STEPWISE_GRADIENT or more takes the
        un-jittable path (a coarse grid, a few steps per call, pieces of rows that fit
        the budget).

    A jittable objective runs its rows in blocks of one finals-only call each, as many
    rows as the measured cost says fit the budget (an infinite budget: every row in
    one call); block sizes are padded to powers of two, so a few shapes compile. An
    un-jittable one runs one row at a time as a :class:`~.chunked.ChunkedRun`, a few
    steps per call, so each call stays near the budget.

    Attributes:
        n: the grid side actually used (see :func:`grid_side`).
        rows_done: rows of starts computed so far.
        seconds: the time the descent calls took, compiling calls aside.
        labelling_seconds: the time labelling and classifying the end points took.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> job = BasinsJob(Objective(goldfield), "sgd", [(-2, 2), (-2, 2)], 300,
        ...                 {"learning_rate": 0.05}, resolution=16)
        >>> while not job.advance(0.01):
        ...     pass
        >>> job.progress, job.result().labels.shape, len(job.result().minima)
        (1.0, (16, 16), 2)
    """

    def __init__(
        self,
        objective: Objective,
        optimizer: str | optax.GradientTransformation,
        bounds: Sequence[tuple[float, float]],
        steps: int,
        hyper: Mapping[str, float] | None = None,
        *,
        resolution: int = 256,
        dims: tuple[int, int] = (0, 1),
        base: Sequence[float] | None = None,
        tol: float = DEFAULT_TOLERANCE,
        mask: Sequence[float] | None = None,
        minima: Any = None,
        limits: Limits = DEFAULT_LIMITS,
        gradient_seconds: float | None = None,
    ) -> None:
        self.objective = objective
        #: What one gradient costs, when known: a slow one (STEPWISE_GRADIENT or more) runs
        #: stepwise, in pieces of rows sized to the budget.
        self.gradient_seconds = gradient_seconds
        slow = gradient_seconds is not None and gradient_seconds >= STEPWISE_GRADIENT
        #: A few steps at a time, a row (or part of one) after another: an un-jittable or
        #: slow objective, one block of which could otherwise hold the kernel for seconds.
        self.stepwise = slow or not objective.jittable
        self.descent: Descent = descent_for(objective, optimizer, limits)
        self.bounds = check_bounds(bounds, 2)
        self.steps = check_steps(steps, limits)
        resolution = _check_resolution(resolution, limits)
        self.dims = _check_dims(objective, dims)
        dim = objective.dim
        base_points = _check_points(np.zeros(dim) if base is None else base, dim, "base")
        if base_points.shape[0] != 1:
            raise DescentConfigError(f"base must be one point of {dim} parameters")
        self.base = base_points[0]
        self.known = _check_points([] if minima is None else minima, dim, "minima")
        self.hyper = self.descent.spec.check_hyperparameters(hyper)
        self.tol = self.descent._check_tolerance(tol)
        self.mask = None if mask is None else self.descent._check_mask(mask)
        free = np.ones(dim, bool) if self.mask is None else self.mask != 0
        if not free.any():
            raise DescentConfigError("mask locks every parameter: nothing descends, no basins")
        #: the parameters that move, for classifying minima
        self.free = np.flatnonzero(free)
        #: the parameters distances between end points are measured over: the map's two
        #: and every other free one (locked ones never move)
        self.compared = np.union1d(self.free, self.dims)
        self.n = grid_side(objective, resolution, self.steps, self.stepwise)
        (x_lo, x_hi), (y_lo, y_hi) = self.bounds
        self.xs = cell_centres(x_lo, x_hi, self.n)
        self.ys = cell_centres(y_lo, y_hi, self.n)
        self.radius = BASIN_RADIUS * math.hypot(x_hi - x_lo, y_hi - y_lo)
        starts = self.n * self.n
        self._params = np.zeros((starts, dim), np.float32)
        self._loss = np.zeros(starts, np.float32)
        self._diverged = np.full(starts, -1, np.int32)
        self._converged = np.full(starts, -1, np.int32)
        self.rows_done = 0
        self.seconds = 0.0
        self.labelling_seconds = 0.0
        #: most rows one finals call may take (Limits.max_final_starts)
        self._max_rows = max(1, limits.max_final_starts // self.n)
        self._per_start: float | None = None  # measured seconds per (padded) start
        self._row_run: ChunkedRun | None = None  # the stepwise path's current piece of a row
        self._piece = (0, 0)  # its cells in the row
        self._cell = 0  # the first cell of the current row not computed yet
        self._result: Basins | None = None

    @property
    def finished(self) -> bool:
        return self.rows_done >= self.n

    @property
    def progress(self) -> float:
        """The fraction of the starts computed, from 0 to 1."""
        cells = float(self._cell)
        if self._row_run is not None:
            first, end = self._piece
            cells = first + self._row_run.progress * (end - first)
        return min(1.0, (self.rows_done + cells / self.n) / self.n)

    def starts(self, first: int, last: int) -> np.ndarray:
        """The starts of rows ``first`` to ``last - 1``, row after row, as float32.

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> job = BasinsJob(Objective(lambda x, y, z: x + y + z), "sgd",
            ...                 [(0, 1), (0, 1)], 10, resolution=2, dims=(0, 2), base=[5, 6, 7])
            >>> job.starts(0, 1).tolist()
            [[0.25, 6.0, 0.25], [0.75, 6.0, 0.25]]
        """
        rows = last - first
        points = np.repeat(self.base.astype(np.float32)[None, :], rows * self.n, axis=0)
        points[:, self.dims[0]] = np.tile(self.xs, rows)
        points[:, self.dims[1]] = np.repeat(self.ys[first:last], self.n)
        return points

    def _store(self, first: int, last: int, params, loss, diverged, converged) -> None:
        span = slice(first * self.n, last * self.n)
        self._params[span] = params
        self._loss[span] = loss
        self._diverged[span] = diverged
        self._converged[span] = converged

    def _rows_for(self, seconds_left: float) -> int:
        """Rows of the next jittable block: all that fit the budget, padded to 2^k starts."""
        remaining = min(self.n - self.rows_done, self._max_rows)
        if math.isinf(seconds_left):
            return remaining
        if self._per_start is None:
            return 1  # nothing measured yet: one row tells the cost of the rest
        rows, size = 1, 1 << (self.n - 1).bit_length()
        while size * 2 * self._per_start <= seconds_left and size // self.n < remaining:
            size *= 2
            rows = size // self.n
        return max(1, min(rows, remaining))

    def _advance_jitted(self, started: float, seconds: float) -> None:
        ran = False
        while not self.finished:
            left = seconds - (time.perf_counter() - started)
            one_row = None if self._per_start is None else self._per_start * self.n
            # After one block, start another only if a row of it fits what is left.
            if ran and (left <= 0 or (one_row is not None and one_row > left)):
                break
            ran = True
            rows = self._rows_for(left)
            first, last = self.rows_done, self.rows_done + rows
            traces, began = self.descent.trace_count, time.perf_counter()
            out = self.descent.finals(
                self.starts(first, last), self.steps, self.hyper, tol=self.tol, mask=self.mask
            )
            elapsed = time.perf_counter() - began
            if self.descent.trace_count != traces:
                started += elapsed  # compiling is not computing: it spends no budget
            else:
                self.seconds += elapsed
                self._per_start = elapsed / (1 << (rows * self.n - 1).bit_length())
            self._store(first, last, out.params, out.loss, out.diverged_at, out.converged_at)
            self.rows_done = last

    def _advance_eager(self, started: float, seconds: float) -> None:
        while not self.finished:
            left = seconds - (time.perf_counter() - started)
            if self._row_run is None:
                # A piece of the row: as many starts as one step of each fits the budget
                # (every start's gradient costs its own time on a slow objective). All
                # pieces have one size, the last one reaching back over cells already
                # done, so that no new shape compiles.
                size = self.n
                if self.gradient_seconds and math.isfinite(seconds):
                    size = min(size, max(1, int(seconds / self.gradient_seconds)))
                first = min(self._cell, self.n - size)
                self._piece = (first, first + size)
                row = self.starts(self.rows_done, self.rows_done + 1)
                self._row_run = ChunkedRun(
                    self.descent, row[first : first + size], self.steps, self.hyper,
                    tol=self.tol, mask=self.mask,
                )  # fmt: skip
            run = self._row_run
            before = run.seconds
            done = run.advance(left)
            self.seconds += run.seconds - before
            if not done:
                break
            paths = run.result()
            last = [paths.final_index(j) for j in range(paths.n_starts)]
            rows = np.arange(paths.n_starts)
            first, end = self._piece
            span = slice(self.rows_done * self.n + first, self.rows_done * self.n + end)
            self._params[span] = paths.params[rows, last]
            self._loss[span] = paths.loss[rows, last]
            self._diverged[span] = paths.diverged_at
            self._converged[span] = paths.converged_at
            self._row_run = None
            self._cell = end if end < self.n else 0
            if end >= self.n:
                self.rows_done += 1
            if time.perf_counter() - started >= seconds:
                break

    def advance(self, budget_seconds: float) -> bool:
        """Compute row blocks for about ``budget_seconds`` (at least one); True when finished.

        Compiling a kernel does not count against the budget. The last call also labels
        the end points (a few milliseconds for 65,536 of them).

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> job = BasinsJob(Objective(lambda x, y: x**2 + y**2), "sgd",
            ...                 [(-1, 1), (-1, 1)], 100, resolution=8)
            >>> job.advance(float("inf")), job.rows_done
            (True, 8)
        """
        started = time.perf_counter()
        if not self.stepwise:
            self._advance_jitted(started, float(budget_seconds))
        else:
            self._advance_eager(started, float(budget_seconds))
        if self.finished and self._result is None:
            began = time.perf_counter()
            self._result = self._label()
            self.labelling_seconds = time.perf_counter() - began
        return self.finished

    def result(self) -> Basins:
        """The finished map; a RuntimeError until :meth:`advance` has returned True.

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> job = BasinsJob(Objective(lambda x, y: x**2 + y**2), "sgd",
            ...                 [(-1, 1), (-1, 1)], 100, {"learning_rate": 0.1}, resolution=2)
            >>> job.advance(float("inf")) and job.result().labels.tolist()
            [[0, 0], [0, 0]]
        """
        if self._result is None:
            raise RuntimeError(
                f"the basin map is {self.progress:.0%} computed: call advance() until it "
                "returns True"
            )
        return self._result

    # ------------------------------------------------------------------ labelling
    def _label(self) -> Basins:
        params = self._params.astype(np.float64)
        with np.errstate(invalid="ignore"):
            broken = (
                (self._diverged >= 0) | ~np.isfinite(self._loss) | ~np.isfinite(params).all(axis=1)
            )
        # Distances count the map's parameters and the other free ones (see compared).
        every = len(self.compared) == params.shape[1]
        compared = params if every else params[:, self.compared]
        minimum_points = self._minima(params, compared, broken)
        labels = nearest_minimum(compared, minimum_points[:, self.compared], self.radius)
        labels[broken] = DIVERGED
        steps = np.where(broken, -1, self._converged).astype(np.int32)
        shape = (self.n, self.n)
        return Basins(
            xs=self.xs, ys=self.ys, labels=labels.reshape(shape),
            minima=minimum_points[:, list(self.dims)], minimum_points=minimum_points,
            steps=steps.reshape(shape), total_steps=self.steps, dims=self.dims, bounds=self.bounds,
        )  # fmt: skip

    def _minima(self, params: np.ndarray, compared: np.ndarray, broken: np.ndarray) -> np.ndarray:
        """The known minima and those the converged runs found (each cluster's lowest end
        point, when its Hessian over the free parameters says minimum), as full points
        sorted by map x then y, so labels keep their meaning from one call to the next."""
        known = self.known
        kept = known[:, self.compared]
        candidates = ~broken & (self._converged >= 0)
        if len(known):
            candidates &= nearest_minimum(compared, kept, self.radius) < 0
        chosen = np.flatnonzero(candidates)
        # A converged run's gradient was below tol; allow for float32 and a few steps more.
        gradient_tol = max(1e-3, 10 * self.tol)
        found: list[np.ndarray] = [known]
        for index in cluster_representatives(compared[chosen], self._loss[chosen], self.radius):
            point, here = params[chosen[index]], compared[chosen[index]]
            if len(kept) and (np.linalg.norm(kept - here, axis=1) < self.radius).any():
                continue  # merged with one kept already
            kind = classify_point(self.objective, point, gradient_tol=gradient_tol,
                                  dims=self.free.tolist()).kind  # fmt: skip
            if kind == "minimum":  # a saddle or a flat valley is no basin: its runs get -2
                found.append(point[None, :])
                kept = np.vstack([kept, here[None, :]])
        points = np.vstack(found)
        order = np.lexsort((points[:, self.dims[1]], points[:, self.dims[0]]))
        return points[order]


def nearest_minimum(points: np.ndarray, minima: np.ndarray, radius: float) -> np.ndarray:
    """For each point, the index of the nearest minimum within ``radius``, else -2.

    Example:
        >>> nearest_minimum(np.array([[0.0, 0.1], [3.0, 0.0], [0.9, 1.0]]),
        ...                 np.array([[0.0, 0.0], [1.0, 1.0]]), 0.5).tolist()
        [0, -2, 1]
    """
    labels = np.full(len(points), NOWHERE, np.int16)
    if len(minima) == 0 or len(points) == 0:
        return labels
    best = np.full(len(points), np.inf)
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite points are labelled apart
        for m, minimum in enumerate(minima):
            distance = np.einsum("ij,ij->i", points - minimum, points - minimum)
            closer = distance < best
            best[closer] = distance[closer]
            labels[closer] = m
        labels[~(best < radius * radius)] = NOWHERE
    return labels


def _cell_codes(keys: np.ndarray) -> np.ndarray:
    """One int64 per row of integer ``keys`` (n, f), equal exactly when the rows are
    (np.unique over rows is ten times slower than over one column)."""
    code = np.zeros(len(keys), np.int64)
    for column in keys.T:
        column = column - column.min()
        width = int(column.max()) + 1
        if (int(code.max()) + 1) * width >= 1 << 62:
            code = np.unique(code, return_inverse=True)[1].reshape(-1).astype(np.int64)
        code = code * width + column
    return code


def cluster_representatives(points: np.ndarray, loss: np.ndarray, radius: float) -> list[int]:
    """Group ``points`` (n, f) into clusters about ``radius`` wide; for each, the index of
    its lowest-``loss`` point. At most ``MAX_CLUSTERS`` clusters, most populated first.

    Points are rounded to cells ``radius`` wide (one sort: a few ms for 65,536 points);
    cells are then merged greedily, most populated first, with every cell whose mean
    lies within ``radius`` of the seed cell's mean (a cluster split by a cell border).

    Example:
        >>> pts = np.array([[0.0, 0.0], [0.01, 0.0], [1.0, 1.0], [0.99, 1.0], [0.0, 0.02]])
        >>> cluster_representatives(pts, np.array([3.0, 1.0, 2.0, 0.5, 4.0]), 0.1)
        [1, 3]
    """
    if len(points) == 0:
        return []
    # Clipped so huge coordinates cannot overflow int64 (they are outliers anyway).
    keys = np.clip(np.floor(points / radius), -(2.0**30), 2.0**30).astype(np.int64)
    _, inverse, counts = np.unique(_cell_codes(keys), return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    means = np.stack(
        [np.bincount(inverse, weights=points[:, c]) / counts for c in range(points.shape[1])],
        axis=1,
    )
    order = np.argsort(-counts, kind="stable")
    cluster_of_cell = np.full(len(counts), -1)
    clusters = 0
    for seed in order:
        if clusters >= MAX_CLUSTERS:
            break
        if cluster_of_cell[seed] >= 0:
            continue
        near = np.linalg.norm(means - means[seed], axis=1) < radius
        cluster_of_cell[near & (cluster_of_cell < 0)] = clusters
        clusters += 1
    cluster_of_point = cluster_of_cell[inverse]
    representatives = []
    for c in range(clusters):
        representatives.append(int(np.argmin(np.where(cluster_of_point == c, loss, np.inf))))
    return representatives


def basins_of_attraction(
    objective: Objective,
    optimizer: str | optax.GradientTransformation,
    bounds: Sequence[tuple[float, float]],
    steps: int,
    hyper: Mapping[str, float] | None = None,
    *,
    resolution: int = 256,
    dims: tuple[int, int] = (0, 1),
    base: Sequence[float] | None = None,
    tol: float = DEFAULT_TOLERANCE,
    mask: Sequence[float] | None = None,
    minima: Any = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Basins:
    """Descend from every cell centre of a ``resolution x resolution`` map and label each
    start by the minimum it reaches (one compiled call for a jittable objective).

    Args:
        objective, optimizer, steps, hyper, tol, mask, limits: as
            :func:`~jaxgrad_widgets.engine.final_points`; a locked parameter never moves.
        bounds: the map's ``((x_lo, x_hi), (y_lo, y_hi))``.
        resolution: the grid side, from 2 to 512 (an un-jittable objective gets fewer,
            see :func:`grid_side`).
        dims: the two parameters of the map.
        base: a full point; the parameters off the map start there (default zeros).
        minima: known minima as full points ``(m, d)``; the runs add the ones they find.

    Raises:
        DescentConfigError: bad bounds, resolution, steps, base, minima or mask.
        ObjectiveError: ``dims`` are not two different parameters of the objective.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> b = basins_of_attraction(Objective(goldfield), "sgd", [(-2, 2), (-2, 2)], 500,
        ...                          {"learning_rate": 0.05}, resolution=64)
        >>> b.minimum_points.round(3).tolist(), np.unique(b.labels).tolist()
        ([[-1.0, -1.0], [1.0, 1.0]], [0, 1])
    """
    job = BasinsJob(
        objective, optimizer, bounds, steps, hyper, resolution=resolution, dims=dims,
        base=base, tol=tol, mask=mask, minima=minima, limits=limits,
    )  # fmt: skip
    job.advance(float("inf"))
    return job.result()
