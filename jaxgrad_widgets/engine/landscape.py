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


def _evaluate_points(objective: Objective, points: np.ndarray) -> np.ndarray:
    """The objective at each row of ``points`` (n, d), in one compiled call of bounded batches."""
    if objective.jittable:
        evaluate = objective.batched(batch_size(objective))
        values = np.asarray(evaluate(jnp.asarray(points, dtype=jnp.float32)))
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


def _newton_polish(
    objective: Objective, critical: CriticalPoint, dims: tuple[int, int], cells: np.ndarray
) -> CriticalPoint:
    """Newton steps in ``dims`` while the point is in a convex bowl but not yet critical."""
    chosen = list(dims)
    for _ in range(UNJITTABLE_NEWTON_STEPS):
        if critical.kind != "not critical" or not (critical.eigenvalues > 0).all():
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

    The lowest cells of the landscape grid are refined by Adam in one compiled
    finals-only call, merged when closer than 1% of the box, and kept when the
    Hessian says minimum. Costs one grid plus a few short descents, so it stays
    cheap for a likelihood over many data points. Pass ``grid`` to reuse one.

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
    mask = np.zeros(objective.dim, np.float32)
    mask[list(dims)] = 1.0
    span = np.array([hi - lo for lo, hi in bounds])
    # A step of a quarter cell: enough to cross the cell a candidate lies in.
    cells = span / np.array([len(grid.xs) - 1, len(grid.ys) - 1])
    cell = float(cells.min())
    if objective.jittable:
        finals = final_points(
            objective, "adam", starts, steps, {"learning_rate": max(cell / 4, 1e-5)},
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
        if not objective.jittable:
            critical = _newton_polish(objective, critical, dims, cells)
        if critical.kind == "minimum":
            found.append(critical)
    return found


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
    (up to four) nearest ones, so the first view shows where descent is heading. With
    ``search=False`` (a function too slow to search), it frames the starts alone.

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
        nearest = minima[np.argsort(np.linalg.norm(minima - center, axis=1))[:4]]
        points = np.vstack([points, nearest])
    return default_bounds(points)
