"""The optimizer race: several optimizers from one start on one function, each at a
fairly chosen learning rate.

A race with one learning rate for every optimizer proves nothing: the rate that suits
plain gradient descent makes Adam crawl and momentum overshoot. So by default each
optimizer races at its own best rate, the ``best_rate`` of its own
:func:`~.sweep.learning_rate_sweep` over ``candidates`` log-spaced rates spanning that
optimizer's learning-rate range in the registry (one finals-only family call per
optimizer), and then runs once at that rate with every step recorded (one path run
per optimizer). Every path is bit for bit
``descent_for(objective, name).run(start, steps, {**defaults, "learning_rate": rate})``,
so it is what a :class:`~jaxgrad_widgets.GradDescentWidget` with that optimizer and
rate shows.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.functions import goldfield
    >>> r = race(Objective(goldfield), (0.1, 0.1), ("sgd", "adagrad", "adam"), steps=300)
    >>> r.trajectory.shape, r.losses.shape
    ((3, 301, 2), (3, 301))
    >>> r.ranking, r.converged_at.tolist()
    (('adagrad', 'sgd', 'adam'), [32, 26, 151])
    >>> {name: round(rate, 4) for name, rate in r.rates.items()}
    {'sgd': 0.1413, 'adagrad': 1.7783, 'adam': 0.5012}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .descent import DEFAULT_LIMITS, DEFAULT_TOLERANCE, Trajectories, check_steps, descent_for
from .errors import DescentConfigError, ObjectiveError, OptimizerError, a_type
from .objective import Objective
from .optimizers import OPTIMIZERS, OptimizerSpec
from .sweep import Sweep, learning_rate_sweep

#: The optimizers a race runs unless told otherwise: the whole registry, simplest first.
RACE_OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
#: Steps of a race unless told otherwise (as many as a dashboard's run).
RACE_STEPS = 300
#: Learning rates each optimizer's sweep tries: log-spaced over its registry range
#: (1e-5 to 10 is six decades: 20 rates per decade, each 12% above the last).
RACE_CANDIDATES = 121

#: How each optimizer's learning rate was chosen (``Race.rate_sources``).
TUNED, DEFAULT, GIVEN = "tuned", "default", "given"


@dataclass(frozen=True)
class Race:
    """Several optimizers from one start, each at its own learning rate.

    Attributes:
        names: the optimizers' registry names, in the order given (their colours').
        rates: name -> the learning rate it raced at.
        tuned: whether the rates were tuned (``tune=True``); see ``rate_sources``.
        rate_sources: name -> how its rate was chosen: ``"tuned"`` (its sweep's best
            rate), ``"default"`` (the registry default: ``tune=False``, or tuning found
            no rate that does not diverge, or the function cannot be compiled) or
            ``"given"`` (from ``rates``).
        start: ``(d,)`` the start every optimizer leaves from.
        steps: the optimizer steps of every run.
        tolerance: the gradient norm that counts as converged.
        trajectory: ``(optimizers, steps + 1, d)`` every recorded point.
        losses: ``(optimizers, steps + 1)`` the loss at those points.
        converged_at: ``(optimizers,)`` the first step whose gradient norm is below the
            tolerance, or -1.
        diverged_at: ``(optimizers,)`` the first step whose loss or point is not
            finite, or -1.
        ranking: the names, fastest first: by the step each first reaches the
            tolerance; those that never do after them, by final loss; diverged last
            (the later a run diverged, the higher).
        runs: one :class:`~.descent.Trajectories` per optimizer (the engine's records).
        sweeps: one :class:`~.sweep.Sweep` per optimizer that was tuned, else None.
        notes: what a reader should know about the rates (a fallback to a default).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> r = race(Objective(lambda x, y: x**2 + 10 * y**2), (1.0, 1.0), ("sgd", "adam"),
        ...          steps=100, tune=False)
        >>> r.rates, r.rate_sources["adam"], r.outcome("sgd")
        ({'sgd': 0.01, 'adam': 0.05}, 'default', 'did not converge')
    """

    names: tuple[str, ...]
    rates: dict[str, float]
    tuned: bool
    rate_sources: dict[str, str]
    start: np.ndarray
    steps: int
    tolerance: float
    trajectory: np.ndarray
    losses: np.ndarray
    converged_at: np.ndarray
    diverged_at: np.ndarray
    ranking: tuple[str, ...]
    runs: tuple[Trajectories, ...]
    sweeps: tuple[Sweep | None, ...]
    notes: tuple[str, ...] = ()

    @property
    def final_losses(self) -> np.ndarray:
        """``(optimizers,)`` the loss where each run ends (its last finite point).

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> r = race(Objective(lambda x: (x - 1) ** 2), 0.0, ("sgd", "adam"), steps=200)
            >>> r.final_losses.round(6).tolist()
            [0.0, 0.0]
        """
        return np.asarray([run.loss[0, run.final_index(0)] for run in self.runs], np.float64)

    def index(self, name: str) -> int:
        """The position of optimizer ``name`` in :attr:`names` (its row and colour).

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> r = race(Objective(lambda x: x**2), 1.0, ("sgd", "adam"), steps=5, tune=False)
            >>> r.index("adam")
            1
        """
        try:
            return self.names.index(name)
        except ValueError:
            raise OptimizerError(
                f"'{name}' is not in this race; it ran {', '.join(self.names)}"
            ) from None

    def outcome(self, name: str) -> str:
        """How optimizer ``name`` finished, in words.

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> r = race(Objective(lambda x: x**2), 1.0, ("sgd",), steps=50, rates={"sgd": 2.0})
            >>> r.outcome("sgd")
            'diverged at step 41'
        """
        j = self.index(name)
        if self.diverged_at[j] >= 0:
            return f"diverged at step {int(self.diverged_at[j])}"
        if self.converged_at[j] >= 0:
            return f"converged at step {int(self.converged_at[j])}"
        return "did not converge"

    def as_trajectories(self) -> Trajectories:
        """The runs stacked into one :class:`~.descent.Trajectories` whose starts are the
        optimizers (row ``j`` is optimizer ``names[j]``): what a view of many starts draws.

        Example:
            >>> from jaxgrad_widgets.engine import Objective
            >>> r = race(Objective(lambda x: x**2), 1.0, ("sgd", "adam"), steps=20, tune=False)
            >>> r.as_trajectories().n_starts, r.as_trajectories().steps
            (2, 20)
        """
        return Trajectories(
            params=self.trajectory,
            loss=self.losses,
            grad=np.concatenate([run.grad for run in self.runs]),
            diverged_at=self.diverged_at.copy(),
            converged_at=self.converged_at.copy(),
            tolerance=self.tolerance,
        )


def _names(optimizers: Any) -> tuple[str, ...]:
    """The registry names of ``optimizers``, checked: known, at least one, none twice."""
    if isinstance(optimizers, str):
        optimizers = (optimizers,)
    if not isinstance(optimizers, Sequence):
        raise OptimizerError(
            f"optimizers must be a list of names such as ('sgd', 'adam'), not {a_type(optimizers)}"
        )
    if len(optimizers) == 0:
        raise OptimizerError(
            f"a race needs at least one optimizer; choose from {', '.join(RACE_OPTIMIZERS)}"
        )
    names: list[str] = []
    for optimizer in optimizers:
        if not isinstance(optimizer, str):
            raise OptimizerError(
                "a race tunes each optimizer's learning rate, so it takes registry names "
                f"({', '.join(RACE_OPTIMIZERS)}), not {a_type(optimizer)}"
            )
        key = optimizer.strip().lower()
        if key not in OPTIMIZERS:
            raise OptimizerError(
                f"unknown optimizer '{optimizer}'; choose from {', '.join(RACE_OPTIMIZERS)}"
            )
        if key in names:
            raise OptimizerError(f"'{key}' is in the race twice; name each optimizer once")
        names.append(key)
    return tuple(names)


def _per_optimizer(values: Any, what: str, names: tuple[str, ...]) -> dict[str, Any]:
    """``values`` (name -> value) with its names normalised and checked to be racing."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise OptimizerError(
            f"{what} must map optimizer names to values, such as {{'adam': 0.01}}, "
            f"not {a_type(values)}"
        )
    out: dict[str, Any] = {}
    for name, value in values.items():
        key = name.strip().lower() if isinstance(name, str) else name
        if key not in names:
            raise OptimizerError(
                f"{what} names '{name}', which is not racing; the race runs {', '.join(names)}"
            )
        out[key] = value
    return out


def _hyperparameters(spec: OptimizerSpec, extra: Any) -> dict[str, float]:
    """The optimizer's defaults with ``extra`` (not its learning rate) checked over them."""
    if extra is None:
        return spec.defaults()
    if not isinstance(extra, Mapping):
        raise OptimizerError(
            f"hyper['{spec.name}'] must map hyperparameter names to values, such as "
            f"{{'momentum': 0.95}}, not {a_type(extra)}"
        )
    if "learning_rate" in extra:
        raise OptimizerError(
            f"give {spec.name}'s learning rate in rates={{'{spec.name}': ...}}, not in hyper"
        )
    return spec.check_hyperparameters(extra)


def _start(objective: Objective, start: Any) -> np.ndarray:
    """One finite start point of ``objective``'s parameters, as float32 ``(d,)``."""
    try:
        point = np.asarray(start, dtype=np.float32)
    except (TypeError, ValueError):
        raise DescentConfigError(f"the start must be numbers, not {start!r}") from None
    if point.size != objective.dim:
        raise DescentConfigError(
            f"the start must be one point of {objective.dim} number"
            f"{'s' if objective.dim != 1 else ''} ({', '.join(objective.names)}) for "
            f"{objective.name}, got shape {point.shape}"
        )
    point = point.reshape(objective.dim)
    if not np.isfinite(point).all():
        raise DescentConfigError("the start must be finite numbers (no NaN or infinity)")
    return point


def _candidates(candidates: Any) -> int:
    if (
        isinstance(candidates, bool)
        or not isinstance(candidates, int | np.integer)
        or not (2 <= candidates <= DEFAULT_LIMITS.max_members)
    ):
        raise OptimizerError(
            f"candidates must be a whole number from 2 to {DEFAULT_LIMITS.max_members}, "
            f"not {candidates!r}"
        )
    return int(candidates)


def _as_objective(objective: Any) -> Objective:
    if isinstance(objective, Objective):
        return objective
    if callable(objective):
        from .shared import shared_objective  # one Objective (one set of kernels) per function

        return shared_objective(objective)
    raise ObjectiveError(f"race needs a function or an Objective, not {a_type(objective)}")


def ranking_of(
    names: Sequence[str],
    converged_at: Sequence[int],
    diverged_at: Sequence[int],
    final_loss: Sequence[float],
) -> tuple[str, ...]:
    """The names, fastest first: converged by the step they reached the tolerance (ties by
    final loss), then those still moving by final loss, then the diverged, latest first.

    Example:
        >>> ranking_of(["a", "b", "c", "d"], [-1, 40, 12, 5], [-1, -1, -1, 30],
        ...            [0.5, 1.0, 1.0, float("nan")])
        ('c', 'b', 'a', 'd')
    """

    def key(j: int) -> tuple[int, float, float, int]:
        loss = float(final_loss[j]) if np.isfinite(final_loss[j]) else np.inf
        if diverged_at[j] >= 0:
            return (2, -float(diverged_at[j]), loss, j)
        if converged_at[j] >= 0:
            return (0, float(converged_at[j]), loss, j)
        return (1, loss, 0.0, j)

    return tuple(names[j] for j in sorted(range(len(names)), key=key))


def race(
    objective: Objective | Callable[..., Any],
    start: Any,
    optimizers: Sequence[str] = RACE_OPTIMIZERS,
    steps: int = RACE_STEPS,
    *,
    tune: bool = True,
    rates: Mapping[str, float] | None = None,
    candidates: int = RACE_CANDIDATES,
    tol: float = DEFAULT_TOLERANCE,
    hyper: Mapping[str, Mapping[str, float]] | None = None,
) -> Race:
    """Race ``optimizers`` from ``start`` on ``objective``, each at a fair learning rate.

    Args:
        objective: the function, as an :class:`~.objective.Objective` (a plain function
            is wrapped, one Objective per function).
        start: ``(d,)`` the one start point of every optimizer.
        optimizers: registry names ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop',
            'adam'), each at most once; their order is their colours' order.
        steps: optimizer steps per run.
        tune: True: each optimizer races at the best rate of its own sweep over
            ``candidates`` log-spaced rates spanning its registry range (the registry
            default, with a note, if every rate diverges). False: at its registry default.
        rates: name -> learning rate for optimizers whose rate is given (never tuned).
        candidates: learning rates each sweep tries.
        tol: the gradient norm that counts as converged.
        hyper: name -> its other hyperparameters, e.g. ``{"momentum": {"momentum": 0.95}}``;
            the rest keep their defaults.

    Raises:
        OptimizerError: an unknown or repeated name, no optimizers, a rate or
            hyperparameter out of range, or a name in ``rates``/``hyper`` that is not racing.
        DescentConfigError: a start that is not one finite point, or bad steps.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import goldfield
        >>> r = race(Objective(goldfield), (0.1, 0.1), ("sgd", "momentum"), steps=300,
        ...          rates={"momentum": 0.01})
        >>> r.rate_sources, r.outcome("momentum")
        ({'sgd': 'tuned', 'momentum': 'given'}, 'converged at step 155')
        >>> r.trajectory[:, -1].round(3).tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """
    objective = _as_objective(objective)
    names = _names(optimizers)
    if not isinstance(tune, bool | np.bool_):
        raise OptimizerError(f"tune must be True or False, not {tune!r}")
    steps = check_steps(steps)
    point = _start(objective, start)
    candidates = _candidates(candidates)
    tolerance = float(tol)
    if not np.isfinite(tolerance) or tolerance < 0:
        raise DescentConfigError(f"tol must be a finite number >= 0, not {tol!r}")
    given = _per_optimizer(rates, "rates", names)
    extras = _per_optimizer(hyper, "hyper", names)
    specs = {name: OPTIMIZERS[name] for name in names}
    values = {name: _hyperparameters(specs[name], extras.get(name)) for name in names}
    for name, rate in given.items():
        given[name] = specs[name].hyperparameter("learning_rate").check(rate)

    chosen: dict[str, float] = {}
    sources: dict[str, str] = {}
    sweeps: list[Sweep | None] = []
    notes: list[str] = []
    compiled = getattr(objective, "jittable", True)
    for name in names:
        spec, hyperparameters = specs[name], values[name]
        lr = spec.hyperparameter("learning_rate")
        sweep = None
        if name in given:
            chosen[name], sources[name] = given[name], GIVEN
        elif tune and compiled:
            grid = np.geomspace(lr.low, lr.high, candidates)
            sweep = learning_rate_sweep(objective, name, point[None, :], steps, hyperparameters,
                                        rates=grid, tol=tolerance)  # fmt: skip
            best = float(sweep.best_rate[0])
            if np.isfinite(best):
                chosen[name], sources[name] = best, TUNED
            else:
                chosen[name], sources[name] = lr.default, DEFAULT
                notes.append(
                    f"{spec.label}: every learning rate from {lr.low:g} to {lr.high:g} "
                    f"diverged, so it races at its default {lr.default:g}"
                )
        else:
            chosen[name], sources[name] = lr.default, DEFAULT
        sweeps.append(sweep)
    if tune and not compiled and len(given) < len(names):
        notes.append(
            f"{objective.name} cannot be compiled, so the rates were not tuned (a sweep would "
            "take minutes); every optimizer races at its default rate"
        )

    runs = tuple(
        descent_for(objective, name).run(
            point[None, :], steps, {**values[name], "learning_rate": chosen[name]}, tol=tolerance
        )
        for name in names
    )
    converged_at = np.asarray([int(run.converged_at[0]) for run in runs], np.int64)
    diverged_at = np.asarray([int(run.diverged_at[0]) for run in runs], np.int64)
    final = [float(run.loss[0, run.final_index(0)]) for run in runs]
    return Race(
        names=names, rates=chosen, tuned=bool(tune), rate_sources=sources, start=point,
        steps=steps, tolerance=tolerance,
        trajectory=np.concatenate([run.params for run in runs]),
        losses=np.concatenate([run.loss for run in runs]),
        converged_at=converged_at, diverged_at=diverged_at,
        ranking=ranking_of(names, converged_at, diverged_at, final),
        runs=runs, sweeps=tuple(sweeps), notes=tuple(notes),
    )  # fmt: skip
