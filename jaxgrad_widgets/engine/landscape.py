"""The landscape of an objective: values on a grid, contour lines, critical points.

Grid values come from one compiled ``vmap`` call; contour lines come from contourpy
as NaN-separated polylines that one bqplot ``Lines`` mark can draw; critical points
are classified from the eigenvalues of ``jax.hessian``.

An objective ``jax.jit`` cannot trace (Python ``if`` on its arguments) is evaluated
point by point in Python, about a millisecond each: its grids and curves are coarser
(``UNJITTABLE_RESOLUTION``, ``UNJITTABLE_CURVE_RESOLUTION``) and its minima are
refined by a few function evaluations rather than hundreds of descent steps.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.engine.landscape import classify_point
    >>> from jaxgrad_widgets.functions import goldfield
    >>> obj = Objective(goldfield)
    >>> classify_point(obj, [0.0, 0.0]).kind, classify_point(obj, [1.0, 1.0]).kind
    ('saddle', 'minimum')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import contourpy
import jax
import jax.numpy as jnp
import numpy as np

from .descent import final_points
from .errors import DescentConfigError
from .objective import Objective

Bounds = tuple[tuple[float, float], ...]

#: Largest grid side; a 400 x 400 grid is 160,000 evaluations in one call.
MAX_RESOLUTION = 400

#: Largest grid side for an un-jittable objective, evaluated point by point in Python
#: (about a millisecond a point): 32 x 32 keeps a map near half a second.
UNJITTABLE_RESOLUTION = 32

#: Grid side find_minima searches an un-jittable objective on when no grid is given
#: (framing a map before it is drawn): the valleys only need locating roughly.
UNJITTABLE_SEARCH_RESOLUTION = 16

#: Most points along a curve of an un-jittable objective.
UNJITTABLE_CURVE_RESOLUTION = 160


def check_bounds(bounds: Any, dims: int) -> Bounds:
    """Bounds as ``dims`` (low, high) float pairs with low < high, or a clear error.

    Example:
        >>> check_bounds([(-2, 2), (0, 1)], 2)
        ((-2.0, 2.0), (0.0, 1.0))
    """
    try:
        pairs = tuple((float(lo), float(hi)) for lo, hi in bounds)
    except (TypeError, ValueError):
        raise DescentConfigError(
            f"bounds must be {dims} pair(s) (low, high) such as [(-2, 2), (-2, 2)], not {bounds!r}"
        ) from None
    if len(pairs) != dims:
        raise DescentConfigError(f"bounds need {dims} pair(s) (low, high), got {len(pairs)}")
    for lo, hi in pairs:
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise DescentConfigError(f"bounds must be finite numbers, got ({lo}, {hi})")
        if not lo < hi:
            raise DescentConfigError(
                f"bounds ({lo:g}, {hi:g}) are inverted or have zero width; the low end must be "
                "smaller than the high end"
            )
    return pairs


def default_bounds(
    points: np.ndarray, margin: float = 0.5, minimum_half_width: float = 2.0
) -> Bounds:
    """Bounds per coordinate that contain ``points`` (starts, minima) with room around them.

    Example:
        >>> default_bounds(np.array([[0.0, 0.0], [1.0, 3.0]]))
        ((-1.5, 2.5), (-1.25, 4.25))
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    lows, highs = points.min(axis=0), points.max(axis=0)
    center = (lows + highs) / 2
    half = np.maximum((highs - lows) / 2 * (1 + margin) + margin, minimum_half_width)
    return tuple((float(c - h), float(c + h)) for c, h in zip(center, half, strict=True))


@dataclass(frozen=True)
class Grid:
    """An objective's values on a regular grid over two of its parameters.

    ``values[i, j]`` is the objective at ``(xs[j], ys[i])``, the other parameters
    held at ``base``. Non-finite values (overflow, log of a negative) become NaN.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> grid_values(Objective(lambda x, y: x + y), [(0, 1), (0, 1)], 2).values.tolist()
        [[0.0, 1.0], [1.0, 2.0]]
    """

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray
    dims: tuple[int, int]
    base: np.ndarray


#: How many numbers one batch of grid evaluation may touch (points x bound data size),
#: so a likelihood over 100,000 data points is evaluated in small batches, not at once.
BATCH_ELEMENTS = 1 << 22


def batch_size(objective: Objective) -> int:
    """Points per batch when evaluating ``objective`` on many points.

    Example:
        >>> import numpy as np
        >>> from jaxgrad_widgets.engine import Objective
        >>> batch_size(Objective(lambda x: x)), batch_size(
        ...     Objective(lambda x, data: x * data.sum(), fixed={"data": np.ones(100_000)}))
        (65536, 41)
    """
    bound = sum(int(np.size(v)) for v in objective.fixed.values() if np.ndim(v) > 0)
    return int(max(1, min(65_536, BATCH_ELEMENTS // max(bound, 1))))


def resolution_for(objective: Objective, resolution: int) -> int:
    """The grid side :func:`grid_values` uses: ``resolution`` in [2, MAX_RESOLUTION],
    and at most ``UNJITTABLE_RESOLUTION`` for an objective evaluated point by point.

    Example:
        >>> import warnings
        >>> from jaxgrad_widgets.engine import Objective
        >>> def bowl(x, y):
        ...     return x**2 + y**2 if x > 0 else x**2 + 2 * y**2
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     unjittable = Objective(bowl)
        >>> resolution_for(Objective(lambda x, y: x + y), 120), resolution_for(unjittable, 120)
        (120, 32)
    """
    resolution = int(min(max(int(resolution), 2), MAX_RESOLUTION))
    return resolution if objective.jittable else min(resolution, UNJITTABLE_RESOLUTION)


#: Most points one compiled grid evaluation takes: grids, curves and searches of any
#: size are evaluated in pieces of this many (the last one padded), and fewer points
#: (a search's round) in one piece of ``FEW_POINTS``, so an objective compiles its
#: evaluation twice at most rather than once per size.
POINTS_PER_CALL = 4096
FEW_POINTS = 512


def _points_per_call(objective: Objective, count: int) -> int:
    """A whole number of batches (see :func:`batch_size`), about FEW_POINTS or
    POINTS_PER_CALL points: the pieces ``count`` points are evaluated in."""
    batch = batch_size(objective)
    size = FEW_POINTS if count <= FEW_POINTS else POINTS_PER_CALL
    return batch * max(1, size // batch)


def _evaluate_points(objective: Objective, points: np.ndarray) -> np.ndarray:
    """The objective at each row of ``points`` (n, d): compiled calls of a few fixed shapes."""
    points = np.asarray(points, dtype=np.float32)
    if objective.jittable:
        count = len(points)
        size = _points_per_call(objective, count)
        evaluate = objective.batched(batch_size(objective))
        pieces = []
        for first in range(0, count, size):
            piece = points[first : first + size]
            if len(piece) < size:
                # Padded with its first point (one where f was asked for anyway).
                piece = np.concatenate([piece, np.repeat(piece[:1], size - len(piece), axis=0)])
            pieces.append(np.asarray(evaluate(jnp.asarray(piece))))
        values = np.concatenate(pieces)[:count] if pieces else np.zeros(0, np.float32)
    else:
        values = np.array([float(objective.value(p)) for p in points], dtype=np.float32)
    values = values.astype(np.float32)
    values[~np.isfinite(values)] = np.nan
    return values


def grid_values(
    objective: Objective,
    bounds: Sequence[tuple[float, float]],
    resolution: int = 120,
    *,
    dims: tuple[int, int] = (0, 1),
    base: Sequence[float] | None = None,
) -> Grid:
    """Evaluate ``objective`` over a ``resolution x resolution`` grid in one call.

    An un-jittable objective gets a coarser grid (see :func:`resolution_for`).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> g = grid_values(Objective(goldfield), [(-2, 2), (-2, 2)], 5)
        >>> float(g.values[2, 2]), g.values.shape
        (2.0, (5, 5))
    """
    bx, by = check_bounds(bounds, 2)
    resolution = resolution_for(objective, resolution)
    xs = np.linspace(bx[0], bx[1], resolution, dtype=np.float32)
    ys = np.linspace(by[0], by[1], resolution, dtype=np.float32)
    base_point = np.asarray(
        base if base is not None else np.zeros(objective.dim), dtype=np.float32
    ).reshape(-1)
    gx, gy = np.meshgrid(xs, ys)
    points = np.repeat(base_point[None, :], gx.size, axis=0)
    points[:, dims[0]] = gx.ravel()
    points[:, dims[1]] = gy.ravel()
    values = _evaluate_points(objective, points).reshape(gx.shape)
    return Grid(xs, ys, values, dims, base_point)


def curve_values(
    objective: Objective,
    bounds: tuple[float, float],
    resolution: int = 400,
    *,
    dim: int = 0,
    base: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The objective along one parameter, the others held at ``base``: (xs, values).

    An un-jittable objective gets at most ``UNJITTABLE_CURVE_RESOLUTION`` points.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> xs, ys = curve_values(Objective(lambda x: x**2), (-1, 1), 3)
        >>> ys.tolist()
        [1.0, 0.0, 1.0]
    """
    ((lo, hi),) = check_bounds([bounds], 1)
    resolution = int(min(max(int(resolution), 2), 10 * MAX_RESOLUTION))
    if not objective.jittable:
        resolution = min(resolution, UNJITTABLE_CURVE_RESOLUTION)
    xs = np.linspace(lo, hi, resolution, dtype=np.float32)
    base_point = np.asarray(
        base if base is not None else np.zeros(objective.dim), dtype=np.float32
    ).reshape(-1)
    points = np.repeat(base_point[None, :], resolution, axis=0)
    points[:, dim] = xs
    return xs, _evaluate_points(objective, points)


def default_levels(values: np.ndarray, count: int = 14) -> np.ndarray:
    """Contour levels at quantiles of the grid values, dense where the valleys are.

    Evenly spaced levels waste most lines on steep walls (a y⁴ term makes the edges
    hundreds of times higher than the valleys); quantiles follow the area instead.

    Example:
        >>> v = np.linspace(0, 1, 101) ** 4
        >>> levels = default_levels(v, 4)
        >>> bool(levels[1] - levels[0] < levels[-1] - levels[-2])
        True
    """
    finite = np.asarray(values)[np.isfinite(values)]
    if finite.size == 0:
        return np.array([], dtype=np.float32)
    quantiles = np.linspace(0, 1, count + 2)[1:-1] ** 1.5
    levels = np.unique(np.quantile(finite, quantiles).astype(np.float32))
    return levels[(levels > finite.min()) & (levels < finite.max())]


def contour_paths(grid: Grid, levels: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Contour lines at ``levels`` as NaN-separated x and y arrays for one Lines mark.

    There is never a NaN at the very end (bqplot reports it as an error).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> g = grid_values(Objective(lambda x, y: x**2 + y**2), [(-1, 1), (-1, 1)], 50)
        >>> x, y = contour_paths(g, [0.25])
        >>> bool(np.nanmax(np.hypot(x, y)) < 0.52), bool(np.isfinite(x[-1]))
        (True, True)
    """
    generator = contourpy.contour_generator(
        grid.xs, grid.ys, grid.values, line_type=contourpy.LineType.Separate
    )
    pieces_x: list[np.ndarray] = []
    pieces_y: list[np.ndarray] = []
    nan = np.array([np.nan], dtype=np.float32)
    for level in levels:
        for line in generator.lines(float(level)):
            if len(line) < 2:
                continue
            pieces_x += [line[:, 0].astype(np.float32), nan]
            pieces_y += [line[:, 1].astype(np.float32), nan]
    if not pieces_x:
        return np.array([], dtype=np.float32), np.array([], dtype=np.float32)
    return np.concatenate(pieces_x[:-1]), np.concatenate(pieces_y[:-1])


@dataclass(frozen=True)
class CriticalPoint:
    """A point's kind from its gradient and Hessian.

    ``kind`` is 'minimum', 'maximum', 'saddle', 'degenerate' (a zero eigenvalue:
    the second derivatives cannot tell) or 'not critical' (the gradient is not zero).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> classify_point(Objective(lambda x, y: x**2 - y**2), [0.0, 0.0]).kind
        'saddle'
    """

    point: np.ndarray
    value: float
    gradient_norm: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str


def _hessian(objective: Objective) -> Any:
    """The Hessian of ``objective``: compiled once and kept on it when it is jittable
    (evaluated op by op, it took seconds over a thousand data points)."""
    if not objective.jittable:
        # Evaluated in Python, forward over forward costs a third of jax.hessian's
        # forward over reverse (the same matrix).
        return jax.jacfwd(jax.jacfwd(objective.scalar_function))
    hessian = objective.__dict__.get("_hessian")
    if hessian is None:
        hessian = objective.__dict__["_hessian"] = jax.jit(jax.hessian(objective.scalar_function))
    return hessian


def classify_point(
    objective: Objective,
    point: Sequence[float],
    *,
    gradient_tol: float = 1e-3,
    dims: Sequence[int] | None = None,
) -> CriticalPoint:
    """Classify ``point`` by the signs of the Hessian's eigenvalues.

    With ``dims``, only those parameters count (the others are held fixed): the
    gradient and Hessian are restricted to them.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> cp = classify_point(Objective(goldfield), [1.0, 1.0])
        >>> cp.kind, cp.eigenvalues.round(2).tolist()
        ('minimum', [2.34, 13.66])
    """
    flat = objective.as_flat(point)
    chosen = list(range(objective.dim)) if dims is None else list(dims)
    hessian = np.asarray(_hessian(objective)(flat), dtype=np.float64)
    hessian = hessian[np.ix_(chosen, chosen)]
    hessian = (hessian + hessian.T) / 2
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    with np.errstate(over="ignore"):  # far out, a huge gradient's norm is infinite: not critical
        gradient_norm = float(np.linalg.norm(np.asarray(objective.grad(flat))[chosen]))
    scale = max(1.0, float(np.abs(eigenvalues).max(initial=0.0)))
    zero = 1e-4 * scale
    if not np.isfinite(eigenvalues).all() or gradient_norm > gradient_tol:
        kind = "not critical" if np.isfinite(gradient_norm) else "degenerate"
    elif (eigenvalues > zero).all():
        kind = "minimum"
    elif (eigenvalues < -zero).all():
        kind = "maximum"
    elif (eigenvalues > zero).any() and (eigenvalues < -zero).any():
        kind = "saddle"
    else:
        kind = "degenerate"
    return CriticalPoint(
        point=np.asarray(flat),
        value=float(objective.value(flat)),
        gradient_norm=gradient_norm,
        eigenvalues=eigenvalues,
        eigenvectors=eigenvectors,
        kind=kind,
    )


#: At most this many candidate valleys are refined by descent.
MAX_CANDIDATES = 48

#: At most this many candidate valleys of an un-jittable objective are refined (the
#: lowest ones), each by at most UNJITTABLE_REFINE_EVALUATIONS evaluations.
UNJITTABLE_CANDIDATES = 4
UNJITTABLE_REFINE_EVALUATIONS = 120

#: Newton steps at most after the compass search, for a narrow curved valley where
#: it stalls short of the minimum (each costs a gradient and a Hessian in Python).
UNJITTABLE_NEWTON_STEPS = 3


def _grid_candidates(values: np.ndarray) -> list[tuple[int, int]]:
    """Cells no higher than their eight neighbours, lowest first (at most MAX_CANDIDATES)."""
    padded = np.pad(np.where(np.isfinite(values), values, np.inf), 1, constant_values=np.inf)
    centre = padded[1:-1, 1:-1]
    lowest = np.ones_like(centre, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lowest &= centre <= padded[1 + di : padded.shape[0] - 1 + di,
                                           1 + dj : padded.shape[1] - 1 + dj]  # fmt: skip
    lowest &= np.isfinite(centre)
    rows, cols = np.nonzero(lowest)
    order = np.argsort(centre[rows, cols])[:MAX_CANDIDATES]
    return list(zip(rows[order].tolist(), cols[order].tolist(), strict=True))


def _pattern_search(
    objective: Objective, start: np.ndarray, dims: tuple[int, int], cell: np.ndarray
) -> np.ndarray:
    """Compass search from ``start`` in the two ``dims``: the lowest point found.

    For an un-jittable objective, where one evaluation costs about a millisecond and
    one descent step (value and gradient in Python) tens: a step of half a cell to
    each side in turn, halved when none goes lower, takes a grid cell's candidate to
    float32 precision in about a hundred evaluations. It needs no gradient, so a kink
    from a Python ``if`` does not throw it off.
    """
    point = np.array(start, np.float32)
    best = float(objective.value(point))
    step = np.asarray(cell, np.float64) / 2
    smallest = step * 2.0**-16
    moves = ((0, 1.0), (0, -1.0), (1, 1.0), (1, -1.0))
    first = 0  # the move that last went lower is tried first
    for _ in range(UNJITTABLE_REFINE_EVALUATIONS // len(moves)):
        if (step <= smallest).all():
            break
        for k in range(len(moves)):
            axis, sign = moves[(first + k) % len(moves)]
            trial = point.copy()
            trial[dims[axis]] += np.float32(sign * step[axis])
            value = float(objective.value(trial))
            if value < best:  # never True for NaN: the search stays where f is finite
                point, best, first = trial, value, (first + k) % len(moves)
                break
        else:
            step /= 2
    return point


#: Pattern-search rounds at most for a jittable objective's candidates (all of them in
#: one compiled grid evaluation per round): enough to halve a cell's step 24 times.
PATTERN_ROUNDS = 200

#: Newton steps at most after the pattern search of a jittable objective: the search
#: settles within float32's resolution of f, a thousandth of a cell or so from the
#: minimum, and two or three Newton steps take it to where the gradient vanishes.
NEWTON_STEPS = 6

# The eight moves of the pattern search: along each axis and along both diagonals
# (goldfield's valleys run diagonally).
_MOVES = np.array(
    [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)], np.float32
)


def _bound_data(objective: Objective) -> bool:
    """Whether arrays are bound to the objective (data): each evaluation then costs."""
    return any(np.ndim(v) > 0 for v in objective.fixed.values())


def _pattern_search_all(
    objective: Objective, starts: np.ndarray, dims: tuple[int, int], cells: np.ndarray
) -> np.ndarray:
    """Pattern search from every start at once: the lowest points found.

    Each round evaluates the eight neighbours of every point, a step away, in one call
    of the grid evaluation (compiled already, for the grid the candidates came from);
    a point moves to its lowest neighbour if that is lower, else its step halves. So
    refining the candidates compiles nothing, where a descent would compile a kernel.
    """
    points = np.array(starts, np.float32)
    k = len(points)
    best = _evaluate_points(objective, points)
    best = np.where(np.isfinite(best), best, np.inf)
    step = np.repeat(np.asarray(cells, np.float32)[None, :] / 2, k, axis=0)
    smallest = np.asarray(cells, np.float32) * 2.0**-24
    axes = list(dims)
    for _ in range(PATTERN_ROUNDS):
        active = (step > smallest).any(axis=1)
        if not active.any():
            break
        trials = np.repeat(points[:, None, :], len(_MOVES), axis=1)
        trials[:, :, axes] += _MOVES[None, :, :] * step[:, None, :]
        values = _evaluate_points(objective, trials.reshape(-1, points.shape[1]))
        values = np.where(np.isfinite(values), values, np.inf).reshape(k, len(_MOVES))
        lowest = values.argmin(axis=1)
        value = values[np.arange(k), lowest]
        better = active & (value < best)
        points[better] = trials[better, lowest[better]]
        best[better] = value[better]
        step[active & ~better] /= 2
    return points


def _newton_polish(
    objective: Objective,
    critical: CriticalPoint,
    dims: tuple[int, int],
    cells: np.ndarray,
    steps: int = UNJITTABLE_NEWTON_STEPS,
    gradient_tol: float | None = None,
) -> CriticalPoint:
    """Newton steps in ``dims`` while the point is in a convex bowl but not yet critical
    (with ``gradient_tol``: until the gradient is smaller than that)."""
    chosen = list(dims)
    for _ in range(steps):
        if not (critical.eigenvalues > 0).all():
            break
        if gradient_tol is None and critical.kind != "not critical":
            break
        if gradient_tol is not None and critical.gradient_norm <= gradient_tol:
            break
        gradient = np.asarray(objective.grad(critical.point), np.float64)[chosen]
        vectors = critical.eigenvectors
        step = vectors @ ((vectors.T @ gradient) / critical.eigenvalues)
        # A quadratic model is trusted a grid cell far at most.
        scale = min(1.0, float(np.min(cells / np.maximum(np.abs(step), 1e-30))))
        point = critical.point.copy()
        point[chosen] -= (scale * step).astype(np.float32)
        critical = classify_point(objective, point, gradient_tol=1e-2, dims=dims)
    return critical


def find_minima(
    objective: Objective,
    bounds: Sequence[tuple[float, float]],
    *,
    per_side: int = 48,
    steps: int = 400,
    base: Sequence[float] | None = None,
    dims: tuple[int, int] = (0, 1),
    grid: Grid | None = None,
) -> list[CriticalPoint]:
    """Local minima of two parameters inside ``bounds`` (the others held at ``base``).

    The lowest cells of the landscape grid (at most ``MAX_CANDIDATES``) are refined by
    a pattern search, all together, each round one call of the grid's compiled
    evaluation, then by Newton steps: this compiles nothing but the Hessian. With data
    bound (a likelihood over many points, where evaluations cost and compiling does
    not), they are refined by Adam instead, in one compiled finals-only call. Either
    way they are merged when closer than 1% of the box, and kept when the Hessian says
    minimum. Pass ``grid`` to reuse one.

    An un-jittable objective is searched on a coarser grid
    (``UNJITTABLE_SEARCH_RESOLUTION``), and only its ``UNJITTABLE_CANDIDATES`` lowest
    cells are refined, by compass search, since Python evaluates it point by point.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> found = find_minima(Objective(goldfield), [(-2, 2), (-2, 2)])
        >>> sorted(tuple(m.point.round(2).tolist()) for m in found)
        [(-1.0, -1.0), (1.0, 1.0)]
    """
    dims = tuple(dims)
    bounds = check_bounds(bounds, 2)
    if grid is None:
        if not objective.jittable:
            per_side = min(per_side, UNJITTABLE_SEARCH_RESOLUTION)
        grid = grid_values(objective, bounds, per_side, dims=dims, base=base)
    candidates = _grid_candidates(grid.values)
    if not objective.jittable:
        candidates = candidates[:UNJITTABLE_CANDIDATES]
    if not candidates:
        return []
    starts = np.repeat(grid.base[None], len(candidates), axis=0)
    starts[:, dims[0]] = [grid.xs[j] for _, j in candidates]
    starts[:, dims[1]] = [grid.ys[i] for i, _ in candidates]
    span = np.array([hi - lo for lo, hi in bounds])
    cells = span / np.array([len(grid.xs) - 1, len(grid.ys) - 1])
    searched = objective.jittable and not _bound_data(objective)
    if searched:
        ends = ((point, -1) for point in _pattern_search_all(objective, starts, dims, cells))
    elif objective.jittable:
        # Bound data makes every evaluation count: a descent that stops once converged
        # (checked every few steps) evaluates far less than a search's rounds would.
        mask = np.zeros(objective.dim, np.float32)
        mask[list(dims)] = 1.0
        finals = final_points(
            objective, "adam", starts, steps, {"learning_rate": max(float(cells.min()) / 4, 1e-5)},
            tol=1e-6, mask=mask,
        )  # fmt: skip
        ends = zip(finals.params, finals.diverged_at, strict=True)
    else:
        ends = ((_pattern_search(objective, start, dims, cells), -1) for start in starts)
    found: list[CriticalPoint] = []
    for point, diverged in ends:
        inside = all(lo <= point[d] <= hi for d, (lo, hi) in zip(dims, bounds, strict=True))
        if diverged >= 0 or not inside or not np.isfinite(point).all():
            continue
        if any(
            np.all(np.abs(point[list(dims)] - m.point[list(dims)]) < 0.01 * span) for m in found
        ):
            continue
        critical = classify_point(objective, point, gradient_tol=1e-2, dims=dims)
        if searched:
            # On to where the gradient vanishes (float32 allowing), as a descent would.
            critical = _newton_polish(objective, critical, dims, cells, NEWTON_STEPS, 1e-5)
            critical = classify_point(objective, critical.point, gradient_tol=1e-2, dims=dims)
        else:
            critical = _newton_polish(objective, critical, dims, cells)
        near = (np.all(np.abs(critical.point[list(dims)] - m.point[list(dims)]) < 0.01 * span)
                for m in found)  # fmt: skip
        if critical.kind == "minimum" and not any(near):  # polished onto one found already
            found.append(critical)
    return found


def _nice_step(half: float) -> float:
    """A round step for the ends of a range of half-width ``half``: 1, 2 or 5 times a
    power of ten, at most five of them to the half-width."""
    power = 10.0 ** np.floor(np.log10(half)) / 10
    for factor in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0):
        if half / (factor * power) <= 5:
            return float(factor * power)
    return float(100 * power)  # pragma: no cover - half < 10 * power * 10 always fits above


def frame_bounds(bounds: Bounds, center: Sequence[float]) -> Bounds:
    """Bounds as a person would choose them: even about 0 and with round ends.

    A coordinate whose range holds 0 with its middle near it (within a quarter of the
    range) becomes even about 0, as a formula in x and y is usually read from the
    origin; two ranges within a factor of two of each other get the wider one (the map
    keeps x and y at one scale, so a square view); every end is rounded outwards to a
    round step. ``center`` is where the view must stay about (the first start).

    Example:
        >>> frame_bounds(((-3.09, 5.62), (-4.36, 4.36)), (0.3, 0.3))
        ((-6.0, 6.0), (-6.0, 6.0))
        >>> frame_bounds(((98.2, 104.1), (0.4, 2.5)), (100.0, 1.0))
        ((98.0, 105.0), (0.0, 2.5))
    """
    pairs = [(float(lo), float(hi)) for lo, hi in bounds]
    even = []
    for lo, hi in pairs:
        half = (hi - lo) / 2
        even.append(lo < 0 < hi and abs((lo + hi) / 2) <= half / 2)
    pairs = [(-max(-lo, hi), max(-lo, hi)) if e else (lo, hi)
             for (lo, hi), e in zip(pairs, even, strict=True)]  # fmt: skip
    if len(pairs) == 2 and all(even):
        xh, yh = pairs[0][1], pairs[1][1]
        if max(xh, yh) <= 2 * min(xh, yh):
            r = max(xh, yh)
            pairs = [(-r, r), (-r, r)]
    framed = []
    for (lo, hi), c in zip(pairs, center, strict=True):
        step = _nice_step((hi - lo) / 2)
        lo, hi = float(np.floor(lo / step) * step), float(np.ceil(hi / step) * step)
        if not lo < float(c) < hi:  # rounding never loses the start, but be sure
            lo, hi = min(lo, float(c) - step), max(hi, float(c) + step)
        framed.append((lo, hi))
    return tuple(framed)


def suggest_bounds(
    objective: Objective,
    starts: np.ndarray,
    *,
    dims: tuple[int, int] = (0, 1),
    search_half_width: float = 4.0,
    search: bool = True,
) -> Bounds:
    """Map bounds for a function nothing is known about: the starts and nearby minima.

    Looks for minima in a box around the first start and frames the starts with the
    nearest ones (up to four; none more than twice as far as the nearest unless within
    three quarters of the search's half-width), so the first
    view shows where descent is heading, then rounds the view as a person would (see
    :func:`frame_bounds`). With ``search=False`` (a function too slow to search), it
    frames the starts alone.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> obj = Objective(lambda a, b: (a - 1) ** 2 + 3 * (b + 2) ** 2)
        >>> (x_low, x_high), (y_low, y_high) = suggest_bounds(obj, np.array([[0.3, 0.3]]))
        >>> bool(x_low < 0.3 and x_high > 1 and y_low < -2 < 0.3 < y_high)
        True
    """
    starts = np.atleast_2d(np.asarray(starts, np.float32))
    center = starts[0, list(dims)]
    box = [(float(c - search_half_width), float(c + search_half_width)) for c in center]
    found = find_minima(objective, box, dims=dims, base=starts[0]) if search else []
    points = starts[:, list(dims)]
    if found:
        minima = np.array([m.point[list(dims)] for m in found])
        distance = np.linalg.norm(minima - center, axis=1)
        order = np.argsort(distance)[:4]
        # A valley much farther than the nearest would stretch the view to its side.
        reach = max(2 * distance[order[0]], 0.75 * search_half_width)
        near = order[distance[order] <= reach]
        points = np.vstack([points, minima[near]])
    return frame_bounds(default_bounds(points), center)
