"""One run as the panels see it: the engine's records plus what every panel needs.

Example:
    >>> from jaxgrad_widgets.engine import Objective, trajectories
    >>> from jaxgrad_widgets.functions import goldfield
    >>> run = trajectories(Objective(goldfield), "sgd", [[0.1, 0.1]], 10, {"learning_rate": 1.0})
    >>> view = RunView.of(run, dims=(0, 1))
    >>> view.lengths, view.starts
    ([5], 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...engine import Trajectories
from ...engine.path_curvature import PathCurvature


@dataclass(frozen=True)
class RunView:
    """A run, its valid lengths, its gradient as descent used it, and the map's axes.

    Attributes:
        run: the engine's records.
        lengths: each start's number of finite records (all of them unless it diverged).
        grad: the gradient with locked parameters zeroed (what moved the point).
        dims: the map's two parameters, or None for a function of one.
        free: the parameter the robot moves along while one map axis is locked, else None.
        curvature: the Hessian's axes in the map's plane at every point of every path,
            when the map shows them (see :mod:`jaxgrad_widgets.engine.path_curvature`).

    Example:
        >>> from jaxgrad_widgets.engine import Objective, trajectories
        >>> run = trajectories(Objective(lambda x, y: x**2 + y**2), "sgd", [[1.0, 1.0]], 5,
        ...                    {"learning_rate": 0.1}, mask=[1.0, 0.0])
        >>> view = RunView.of(run, dims=(0, 1), mask=[1.0, 0.0], locked=1)
        >>> view.free, view.grad[0, 0].tolist(), view.frames
        (0, [2.0, 0.0], 6)
    """

    run: Trajectories
    lengths: list[int]
    grad: np.ndarray
    dims: tuple[int, int] | None
    free: int | None
    curvature: PathCurvature | None = None

    @classmethod
    def of(
        cls,
        run: Trajectories,
        dims: tuple[int, int] | None = None,
        mask: Sequence[float] | None = None,
        locked: int | None = None,
        curvature: PathCurvature | None = None,
    ) -> RunView:
        lengths = [run.valid_length(j) for j in range(run.n_starts)]
        grad = run.grad
        if mask is not None:
            with np.errstate(invalid="ignore"):  # inf x 0 on a locked axis: NaN, as in the engine
                grad = grad * np.asarray(mask, np.float32)
        free = None
        if dims is not None and locked is not None:
            free = dims[1] if locked == dims[0] else dims[0]
        return cls(run, lengths, grad, dims, free, curvature)

    @property
    def starts(self) -> int:
        return self.run.n_starts

    @property
    def frames(self) -> int:
        return self.run.steps + 1
