"""A family of descents: the same run at many values of one hyperparameter, in one call.

Every position of a learning-rate slider is one *member*: the same starts, steps,
tolerance, mask, minibatches and other hyperparameters, at one value of the varied
hyperparameter. :func:`family_trajectories` computes all of them in one compiled call,
and member ``m`` is bit for bit the single run at ``values[m]``
(:func:`~jaxgrad_widgets.engine.trajectories`, or
:func:`~jaxgrad_widgets.engine.final_points` with ``finals=True``).

The values are traced, so changing them never recompiles; the number of members is
bucketed to a power of two, and the padding members are never computed. Members run
one after another inside the compiled call, each through the single-run kernel: vmap
over the members and folding them into the start axis were measured and were not
bit-identical (see the comments above ``Descent._family_paths_kernel``).

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.functions import goldfield
    >>> fam = family_trajectories(Objective(goldfield), "sgd", [[0.1, 0.1]], 300,
    ...                           values=[0.01, 0.05, 0.3])
    >>> fam.params.shape
    (3, 1, 301, 2)
    >>> [fam.member(m).summary(0) for m in range(3)]
    ['still moving after 300 steps', 'converged at step 98', 'diverged at step 12']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optax

from .descent import (
    DEFAULT_LIMITS,
    DEFAULT_TOLERANCE,
    Descent,
    Finals,
    Limits,
    Trajectories,
    _bucket,
    descent_for,
)
from .errors import DescentConfigError, OptimizerError
from .minibatch import Minibatch
from .objective import Objective


@dataclass(frozen=True)
class Family:
    """A descent at ``M`` values of one hyperparameter (the members), from ``k`` starts.

    Attributes:
        vary: the name of the varied hyperparameter.
        values: ``(M,)`` its values, as given (checked against its range).
        params: ``(M, k, steps + 1, d)`` every recorded step in path mode;
            ``(M, k, d)`` only the final points with ``finals=True``.
        loss: ``(M, k, steps + 1)``, or ``(M, k)`` in finals mode.
        grad: ``(M, k, steps + 1, d)`` in path mode; None in finals mode.
        diverged_at: ``(M, k)`` as in :class:`Trajectories` (or :class:`Finals`).
        converged_at: ``(M, k)`` likewise.
        steps: the number of steps of every member.
        tolerance: the gradient norm that counts as converged.
        finals: True for a finals-only family.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> fam = family_trajectories(Objective(lambda x: x**2), "sgd", [[1.0], [2.0]], 50,
        ...                           values=[0.1, 0.2], finals=True)
        >>> fam.n_members, fam.n_starts, fam.params.shape
        (2, 2, (2, 2, 1))
        >>> fam.member(1).converged_at.tolist()
        [31, 31]
    """

    vary: str
    values: np.ndarray
    params: np.ndarray
    loss: np.ndarray
    grad: np.ndarray | None
    diverged_at: np.ndarray
    converged_at: np.ndarray
    steps: int
    tolerance: float
    finals: bool

    @property
    def n_members(self) -> int:
        return self.values.shape[0]

    @property
    def n_starts(self) -> int:
        return self.params.shape[1]

    def member(self, m: int) -> Trajectories | Finals:
        """Member ``m`` as the single run would return it: :class:`Trajectories` in path
        mode, :class:`Finals` in finals mode."""
        if isinstance(m, bool) or not isinstance(m, int | np.integer):
            raise TypeError(f"a member is chosen by its index, not by {m!r}")
        if not 0 <= m < self.n_members:
            raise IndexError(
                f"member {m} does not exist: this family has {self.n_members} members, "
                f"0 to {self.n_members - 1}"
            )
        if self.finals:
            return Finals(
                self.params[m], self.loss[m], self.diverged_at[m], self.converged_at[m],
                self.steps,
            )  # fmt: skip
        assert self.grad is not None
        return Trajectories(
            params=self.params[m],
            loss=self.loss[m],
            grad=self.grad[m],
            diverged_at=self.diverged_at[m],
            converged_at=self.converged_at[m],
            tolerance=self.tolerance,
        )


def check_family_values(
    descent: Descent, vary: Any, values: Any, limits: Limits = DEFAULT_LIMITS
) -> np.ndarray:
    """``values`` of the hyperparameter ``vary`` as a float64 array, each checked against
    its range, or an OptimizerError / DescentConfigError saying why not.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> d = Descent(Objective(lambda x: x**2), "momentum")
        >>> check_family_values(d, "momentum", (0.5, 0.9)).tolist()
        [0.5, 0.9]
        >>> try:
        ...     check_family_values(d, "momentum", [0.5, 1.5])
        ... except ValueError as err:
        ...     print(err)
        values[1]: momentum = 1.5 is outside the allowed range [0, 0.999]
    """
    spec = descent.spec
    if not isinstance(vary, str):
        raise OptimizerError(f"vary must be the name of a hyperparameter, not {vary!r}")
    if not spec.injectable:
        raise OptimizerError(
            f"the {spec.label} optimizer has its hyperparameters built in, so it has none to "
            "vary; pass the optimizer by name (for example 'sgd') to vary its hyperparameters"
        )
    hyperparameter = spec.hyperparameter(vary)
    try:
        ndim = np.ndim(values)
    except ValueError:  # a ragged list
        ndim = -1
    if isinstance(values, str | bytes) or ndim != 1:
        given = f"an array of shape {np.shape(values)}" if ndim > 1 else repr(values)
        if ndim < 0:
            given = "a ragged list"
        raise DescentConfigError(
            f"values must be a flat sequence of numbers (one per member), not {given}"
        )
    if len(values) < 1:
        raise DescentConfigError(f"give at least one value of {vary} to vary")
    if len(values) > limits.max_members:
        raise DescentConfigError(
            f"{len(values)} values of {vary} is more than the maximum of {limits.max_members}"
        )
    checked = []
    for i, value in enumerate(values):
        try:
            checked.append(hyperparameter.check(value))
        except OptimizerError as err:
            raise OptimizerError(f"values[{i}]: {err}") from None
    return np.asarray(checked, np.float64)


def run_family(
    descent: Descent,
    starts: Any,
    steps: int,
    hyper: Mapping[str, float] | None = None,
    *,
    values: Sequence[float],
    vary: str = "learning_rate",
    tol: float = DEFAULT_TOLERANCE,
    mask: Sequence[float] | None = None,
    minibatch: Minibatch | None = None,
    finals: bool = False,
) -> Family:
    """:meth:`Descent.family`: check, pack every member's controls, run, unpack.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> d = Descent(Objective(lambda x: x**2), "sgd")
        >>> run_family(d, [[1.0]], 10, values=[0.1, 0.2]).loss.shape
        (2, 1, 11)
    """
    limits = descent.limits
    values = check_family_values(descent, vary, values, limits)
    n = values.shape[0]
    others = {name: v for name, v in (hyper or {}).items() if name != vary}
    first = {**others, vary: float(values[0])}
    if finals:
        if minibatch is not None:
            raise DescentConfigError(
                "finals=True takes full gradients, as final_points does; "
                "minibatches work in path mode (finals=False)"
            )
        job = descent._prepare(starts, steps, first, mask, tol, limits.max_final_starts)
        if n * job.n_starts > limits.max_final_starts:
            raise DescentConfigError(
                f"{n} values x {job.n_starts} starts is {n * job.n_starts:,} final points, "
                f"more than the maximum of {limits.max_final_starts:,}; use fewer values or starts"
            )
    else:
        job = descent._prepare(starts, steps, first, mask, tol, limits.max_starts, minibatch)
        points = n * job.n_starts * (job.steps + 1)
        if points > limits.max_points:
            raise DescentConfigError(
                f"{n} values x {job.n_starts} starts x {job.steps} steps records {points:,} "
                f"points, more than the maximum of {limits.max_points:,}; use fewer values, "
                "starts or steps, or finals=True"
            )
    k, dim = job.n_starts, job.dim

    def family(params, loss, grad, diverged, converged) -> Family:
        return Family(
            vary=vary, values=values, params=params, loss=loss, grad=grad,
            diverged_at=diverged, converged_at=converged, steps=job.steps,
            tolerance=job.tolerance, finals=finals,
        )  # fmt: skip

    if descent._family_paths is None:
        # Un-jittable objective: one eager single run per member (correct, slow).
        hypers = [{**others, vary: float(v)} for v in values]
        if finals:
            runs = [descent.finals(starts, steps, h, tol=tol, mask=mask) for h in hypers]
            fields = ("params", "loss", "diverged_at", "converged_at")
            stacked = [np.stack([getattr(r, f) for r in runs]) for f in fields]
            return family(stacked[0], stacked[1], None, stacked[2], stacked[3])
        runs = [
            descent.run(starts, steps, h, tol=tol, mask=mask, minibatch=minibatch) for h in hypers
        ]
        fields = ("params", "loss", "grad", "diverged_at", "converged_at")
        return family(*(np.stack([getattr(r, f) for r in runs]) for f in fields))

    # Every member's controls: the first member's, with its own value of ``vary``
    # (cast to float32 as the single run's controls are). Rows past ``n`` pad the
    # members to a power of two so a changing count rarely recompiles; never run.
    column = descent._hyper_column(vary)
    controls = np.repeat(job.controls[None], _bucket(n, 1), axis=0)
    controls[:n, column] = values
    controls[n:, column] = values[-1]
    count = np.int32(n)
    if finals:
        outputs = descent._family_finals(job.padded, controls, count)
        params, loss, diverged, converged = (np.asarray(a)[:n, :k] for a in outputs)
        return family(params, loss, None, diverged, converged)
    record, events = descent._family_paths(
        job.padded, controls, count, job.buffer_len, job.batch_size, job.data
    )
    # (members, buffer, starts, 2d + 1) -> views (members, starts, steps + 1, ...).
    view = np.asarray(record)[:n, : job.steps + 1, :k].transpose(0, 2, 1, 3)
    events = np.asarray(events)[:n, :, :k]
    return family(view[..., :dim], view[..., dim], view[..., dim + 1 :], events[:, 0], events[:, 1])


def family_trajectories(
    objective: Objective,
    optimizer: str | optax.GradientTransformation,
    starts: Any,
    steps: int,
    hyper: Mapping[str, float] | None = None,
    *,
    values: Sequence[float],
    vary: str = "learning_rate",
    tol: float = DEFAULT_TOLERANCE,
    mask: Sequence[float] | None = None,
    minibatch: Minibatch | None = None,
    finals: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Family:
    """Descend at every value of one hyperparameter at once (a family of runs).

    Args:
        objective, optimizer, starts, steps, hyper, tol, mask, minibatch: as
            :func:`~jaxgrad_widgets.engine.trajectories`; ``hyper``'s own value of
            ``vary``, if any, is ignored.
        values: the values of ``vary``, one per member (at most ``limits.max_members``),
            each inside the hyperparameter's range.
        vary: the hyperparameter to vary: a registry optimizer's (a ready optax
            transformation has none to vary).
        finals: keep only where each start ends, as
            :func:`~jaxgrad_widgets.engine.final_points` (full gradients only).

    Member ``m`` is bit for bit the single run at ``values[m]``. Bounded work: members x
    starts x (steps + 1) at most ``limits.max_points`` in path mode, members x starts at
    most ``limits.max_final_starts`` in finals mode.

    Example:
        >>> import numpy as np
        >>> from jaxgrad_widgets.engine import Objective, trajectories
        >>> from jaxgrad_widgets.functions import goldfield
        >>> obj, rates = Objective(goldfield), [0.01, 0.02, 0.05]
        >>> fam = family_trajectories(obj, "momentum", [[0.1, 0.1]], 200, {"momentum": 0.5},
        ...                           values=rates)
        >>> single = trajectories(obj, "momentum", [[0.1, 0.1]], 200,
        ...                       {"momentum": 0.5, "learning_rate": 0.02})
        >>> bool(np.array_equal(fam.member(1).params, single.params))
        True
    """
    return descent_for(objective, optimizer, limits).family(
        starts, steps, hyper, values=values, vary=vary, tol=tol, mask=mask,
        minibatch=minibatch, finals=finals,
    )  # fmt: skip
