"""Curvature at the end of a run: what kind of point it stopped at, and how fast it got there.

A run that converges stops where the gradient vanishes: a minimum, but also a saddle
or a maximum. :func:`end_of_run` names which from the Hessian there, and, at a
minimum, compares the speed theory predicts with the speed the run showed:

- the *condition number* ``lambda_max / lambda_min`` of the Hessian;
- the *predicted* linear rate, the factor by which the distance to the minimum
  shrinks per step on the local quadratic model: ``max |1 - rate * lambda|`` over the
  eigenvalues for gradient descent, and for heavy-ball momentum the spectral radius
  of its 2 x 2 iteration matrix ``[[1 + beta - rate * lambda, -beta], [1, 0]]`` per
  eigenvalue (:func:`predicted_rate`);
- the *measured* rate, from the tail of the path (:func:`measured_rate`).

Example:
    >>> import numpy as np
    >>> from jaxgrad_widgets.engine import Objective, trajectories
    >>> bowl = Objective(lambda x, y: x**2 + 10 * y**2)
    >>> run = trajectories(bowl, "sgd", [[1.0, 1.0]], 300, {"learning_rate": 1 / 11})
    >>> end = end_of_run(bowl, run.params[0, : run.final_index(0) + 1], "sgd",
    ...                  {"learning_rate": 1 / 11})
    >>> end.kind, round(end.condition_number, 3), round(end.predicted_rate, 4)
    ('minimum', 10.0, 0.8182)
    >>> abs(end.measured_rate / end.predicted_rate - 1) < 0.01
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .landscape import CriticalPoint, Grid, _grid_candidates, _hessian, batch_size, classify_point
from .objective import Objective

#: The kinds of point a converged run can stop at (``classify_point``'s names).
END_KINDS = ("minimum", "maximum", "saddle")
#: Newton steps that take a candidate onto the critical point near it.
CRITICAL_NEWTON_STEPS = 20
#: At most this many candidates (the cells where the gradient is smallest) are refined.
MAX_CRITICAL_CANDIDATES = 48
#: The measured rate is fitted where the distance to the end is between these
#: fractions of the first distance: past the start's transient, above float32 noise.
TAIL_FROM, TAIL_TO = 0.1, 1e-5


@dataclass(frozen=True)
class EndOfRun:
    """Where a converged run stopped, by kind, and its speed there.

    Attributes:
        kind: 'minimum', 'maximum' or 'saddle'; None when the Hessian cannot tell.
        eigenvalues: the Hessian's eigenvalues at the end (over the parameters that move).
        condition_number: ``lambda_max / lambda_min`` at a minimum, else None.
        predicted_rate: what theory predicts for the optimizer at a minimum (None for
            optimizers without a linear model here: adaptive ones).
        measured_rate: fitted from the tail of the path (None when it is too short).
    """

    kind: str | None
    eigenvalues: np.ndarray
    condition_number: float | None
    predicted_rate: float | None
    measured_rate: float | None


def predicted_rate(optimizer: str, hyper: Mapping[str, float],
                   eigenvalues: Sequence[float]) -> float | None:  # fmt: skip
    """The linear rate theory predicts at a minimum with these Hessian eigenvalues.

    Example:
        >>> round(predicted_rate("sgd", {"learning_rate": 1 / 11}, [2.0, 20.0]), 4)
        0.8182
        >>> k = 10.0
        >>> rate = predicted_rate("momentum", {"learning_rate": (2 / (2**0.5 + 20**0.5)) ** 2,
        ...                       "momentum": ((k**0.5 - 1) / (k**0.5 + 1)) ** 2}, [2.0, 20.0])
        >>> round(rate, 4), round((k**0.5 - 1) / (k**0.5 + 1), 4)
        (0.5195, 0.5195)
        >>> predicted_rate("adam", {"learning_rate": 0.1}, [2.0]) is None
        True
    """
    lams = np.asarray(eigenvalues, np.float64)
    rate = float(hyper.get("learning_rate", np.nan))
    if optimizer == "sgd":
        return float(np.max(np.abs(1.0 - rate * lams)))
    if optimizer in ("newton", "saddle_free_newton"):
        # At a minimum both take the step H^-1 g: the error shrinks by |1 - rate|.
        return abs(1.0 - rate)
    if optimizer == "momentum":
        beta = float(hyper.get("momentum", 0.9))
        radii = []
        for lam in lams:
            matrix = np.array([[1.0 + beta - rate * lam, -beta], [1.0, 0.0]])
            radii.append(np.max(np.abs(np.linalg.eigvals(matrix))))
        return float(max(radii))
    return None


def measured_rate(path: np.ndarray, end: np.ndarray | None = None, order: int = 1) -> float | None:
    """The factor by which the distance to ``end`` (default: the path's last point)
    shrinks per step, measured on the tail of ``path``; None when the tail is too short.

    The tail's errors ``e_k = x_k - end`` are fitted (least squares, each equation
    weighted by its size) by a linear recurrence of ``order`` terms, ``e_{k+1} = A_1 e_k
    + ... + A_order e_{k-order+1}``: the rate is the spectral radius of its companion
    matrix. Order 1 is gradient descent's iteration; order 2 momentum's, whose repeated
    eigenvalues (at the optimal settings) make the distance shrink as ``k r^k``, so a
    line through the logarithms would overstate ``r`` by several percent.

    Example:
        >>> path = np.array([[0.8**k, 0.0] for k in range(80)])
        >>> round(measured_rate(path, np.zeros(2)), 4)
        0.8
        >>> jordan = np.array([[(1 + k) * 0.5**k] for k in range(40)])   # k r^k
        >>> round(measured_rate(jordan, np.zeros(1), order=2), 4)
        0.5
    """
    points = np.asarray(path, np.float64)
    target = points[-1] if end is None else np.asarray(end, np.float64)
    errors = points - target
    distances = np.linalg.norm(errors, axis=1)
    if distances.size < 3 or not np.isfinite(distances).all() or distances[0] <= 0:
        return None
    first = distances[0]
    inside = np.flatnonzero((distances <= TAIL_FROM * first) & (distances >= TAIL_TO * first))
    if inside.size < 3:
        return None
    tail = np.arange(max(inside[0] - order + 1, 0), inside[-1] + 1)
    dim = errors.shape[1]
    rows = [k for k in tail[order - 1 : -1]]
    if len(rows) < order * dim + 1:
        return None
    x = np.array([np.concatenate([errors[k - i] for i in range(order)]) for k in rows])
    y = np.array([errors[k + 1] for k in rows])
    weights = 1.0 / np.maximum(np.linalg.norm(x, axis=1), 1e-300)
    fitted, *_ = np.linalg.lstsq(x * weights[:, None], y * weights[:, None], rcond=None)
    companion = np.zeros((order * dim, order * dim))
    companion[:dim] = fitted.T
    companion[dim:, :-dim] = np.eye((order - 1) * dim)
    return float(np.max(np.abs(np.linalg.eigvals(companion))))


def end_of_run(
    objective: Objective,
    path: np.ndarray,
    optimizer: Any,
    hyper: Mapping[str, float],
    *,
    mask: Sequence[float] | None = None,
    gradient_tol: float = 1e-3,
) -> EndOfRun:
    """The kind of point a converged run's ``path`` (its valid points) ended at, and, at a
    minimum, its condition number and predicted and measured linear rates.

    ``optimizer`` is a registry name (another optimizer has no prediction); ``mask``
    says which parameters move (a locked one is left out of the Hessian).

    Example:
        >>> from jaxgrad_widgets.engine import trajectories
        >>> saddle = Objective(lambda x, y: x**2 - y**2)
        >>> run = trajectories(saddle, "sgd", [[1.0, 0.0]], 200, {"learning_rate": 0.1})
        >>> end_of_run(saddle, run.params[0], "sgd", {"learning_rate": 0.1}).kind
        'saddle'
    """
    path = np.asarray(path)
    free = None if mask is None else [i for i, m in enumerate(mask) if m]
    point = classify_point(objective, path[-1], gradient_tol=gradient_tol, dims=free)
    kind = point.kind if point.kind in END_KINDS else None
    condition = predicted = measured = None
    if kind == "minimum":
        lams = point.eigenvalues
        condition = float(lams.max() / lams.min())
        name = optimizer if isinstance(optimizer, str) else ""
        predicted = predicted_rate(name, hyper, lams)
        # The end itself is a step of the path; the minimum is where its quadratic
        # model says (one Newton step from the end), so the fit is not biased by it.
        gradient = np.asarray(objective.grad(point.point), np.float64)
        chosen = list(range(objective.dim)) if free is None else free
        vectors = point.eigenvectors
        step = vectors @ ((vectors.T @ gradient[chosen]) / lams)
        minimum = np.asarray(point.point, np.float64).copy()
        minimum[chosen] -= step
        # Momentum's iteration remembers a step: a recurrence of two terms.
        order = 2 if name in ("momentum", "nesterov") else 1
        measured = measured_rate(path[:, chosen], minimum[chosen], order)
    return EndOfRun(kind, point.eigenvalues, condition, predicted, measured)


def _gradients(objective: Objective, points: np.ndarray) -> np.ndarray:
    """The gradient at every point, in batches of one compiled call (kept on the objective)."""
    import jax

    over_points = objective.__dict__.get("_gradients")
    if over_points is None:
        over_points = jax.jit(jax.vmap(jax.grad(objective.scalar_function)))
        objective.__dict__["_gradients"] = over_points
    size = batch_size(objective)
    parts = [np.asarray(over_points(points[i : i + size])) for i in range(0, len(points), size)]
    return np.concatenate(parts)


def critical_points(objective: Objective, grid: Grid) -> list[CriticalPoint]:
    """Every minimum, maximum and saddle of the map ``grid`` shows (two parameters, the
    others held at the grid's base), by kind, each with its Hessian's eigenvalues.

    The cells where the gradient is smallest (no larger than their eight neighbours'),
    at most ``MAX_CRITICAL_CANDIDATES``, are taken onto the critical point near them by
    Newton's method on the gradient, a cell at most per step; points that land outside
    the map or on one found already are dropped. An un-jittable objective (each
    gradient a Python run) gets none: its map marks minima only.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, grid_values
        >>> from jaxgrad_widgets.functions import goldfield
        >>> grid = grid_values(Objective(goldfield), [(-2, 2), (-2, 2)], 60)
        >>> sorted((p.kind, tuple(p.point.round(3).tolist()))
        ...        for p in critical_points(Objective(goldfield), grid))
        [('minimum', (-1.0, -1.0)), ('minimum', (1.0, 1.0)), ('saddle', (0.0, 0.0))]
    """
    if not objective.jittable:
        return []
    dims = list(grid.dims)
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    points = np.repeat(grid.base[None, :].astype(np.float32), gx.size, axis=0)
    points[:, dims[0]], points[:, dims[1]] = gx.ravel(), gy.ravel()
    gradients = _gradients(objective, points)[:, dims]
    with np.errstate(over="ignore"):  # a huge view's corners: an infinite steepness ranks last
        steepness = (gradients.astype(np.float64) ** 2).sum(axis=1).reshape(gx.shape)
    candidates = _grid_candidates(steepness)[:MAX_CRITICAL_CANDIDATES]
    (x_low, x_high), (y_low, y_high) = (grid.xs[0], grid.xs[-1]), (grid.ys[0], grid.ys[-1])
    cells = np.array([(x_high - x_low) / max(len(grid.xs) - 1, 1),
                      (y_high - y_low) / max(len(grid.ys) - 1, 1)])  # fmt: skip
    hessian = _hessian(objective)
    found: list[CriticalPoint] = []
    for i, j in candidates:
        point = points[i * len(grid.xs) + j].astype(np.float64)
        for _ in range(CRITICAL_NEWTON_STEPS):
            gradient = np.asarray(objective.grad(point.astype(np.float32)), np.float64)[dims]
            if not np.isfinite(gradient).all() or np.abs(gradient).max() < 1e-7:
                break
            matrix = np.asarray(hessian(point.astype(np.float32)), np.float64)[np.ix_(dims, dims)]
            try:
                step = np.linalg.solve(matrix, gradient)
            except np.linalg.LinAlgError:
                break  # a singular Hessian: no Newton step from here
            scale = min(1.0, float(np.min(cells / np.maximum(np.abs(step), 1e-30))))
            point[dims] -= scale * step
        inside = x_low <= point[dims[0]] <= x_high and y_low <= point[dims[1]] <= y_high
        if not inside or not np.isfinite(point).all():
            continue
        critical = classify_point(objective, point.astype(np.float32), dims=dims)
        if critical.kind not in END_KINDS:
            continue
        if any(np.all(np.abs(critical.point[dims] - other.point[dims]) <= cells)
               for other in found):  # fmt: skip
            continue
        found.append(critical)
    return found


#: A Hessian whose smallest |eigenvalue| is below this fraction of its largest (or of
#: 1) is singular for Newton's method: its solve is undefined in float32.
SINGULAR = 1e-6


def singular_hessian(objective: Objective, point: Any, mask: Sequence[float] | None = None) -> bool:
    """Whether the Hessian at ``point`` (over the parameters ``mask`` frees) is singular.

    Example:
        >>> singular_hessian(Objective(lambda x, y: x**2 + y**4), [1.0, 0.0])
        True
        >>> singular_hessian(Objective(lambda x, y: x**2 + y**4), [1.0, 0.5])
        False
    """
    free = None if mask is None else [i for i, m in enumerate(mask) if m]
    values = np.abs(classify_point(objective, point, dims=free).eigenvalues)
    if not np.isfinite(values).all():
        return True
    return bool(values.min() <= SINGULAR * max(values.max(), 1.0))
