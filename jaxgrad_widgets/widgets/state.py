"""The dashboard's state: its inputs, checked one by one and as a whole, and what follows.

The inputs are the function's starts, the optimizer and its hyperparameters, the
number of steps, the locked axis, the map's two parameters and the sampling (minibatch
size and seed). A change is *proposed* first: every value is checked, what follows from
it is derived (a new optimizer's hyperparameters, a lock dropped with its axis, the
view of new map parameters), and the whole is checked again; only then is it
*committed*. A refused change raises one plain sentence and leaves the state as it was.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.functions import goldfield
    >>> state = DescentState(Objective(goldfield), bounds=((-2.0, 2.0), (-2.0, 2.0)))
    >>> state.commit(state.propose(starts=[[0.1, 0.1]]))
    frozenset({'starts'})
    >>> sorted(state.commit(state.propose(optimizer="momentum")))
    ['hyperparameters', 'optimizer']
    >>> state.inputs.hyperparameters
    {'momentum': 0.9}
    >>> state.propose(lock={"z": 1.0})
    Traceback (most recent call last):
    ...
    jaxgrad_widgets.engine.errors.ObjectiveError: lock must name one of the map's axes ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optax

from ..engine import (
    MAX_SEED,
    Minibatch,
    Objective,
    ObjectiveError,
    OptimizerSpec,
    check_steps,
    data_arguments,
    resolve_optimizer,
)
from ..engine.minibatch import check_minibatch
from ..engine.optimizers import HYPERPARAMETERS, LEARNING_RATE, OPTIMIZERS

Bounds = tuple[tuple[float, float], ...]
#: The inputs a change may name, in the order they are checked.
INPUT_NAMES = ("optimizer", "learning_rate", "hyperparameters", "steps", "starts", "lock",
               "map_dims", "batch_size", "seed")  # fmt: skip


@dataclass(frozen=True, eq=False)
class Inputs:
    """One complete, checked set of inputs (never changed: a change makes a new one).

    Example:
        >>> a = Inputs(starts=np.zeros((1, 2), np.float32))
        >>> a.changed(dataclasses.replace(a, steps=10))
        frozenset({'steps'})
    """

    optimizer: str | optax.GradientTransformation = "sgd"
    learning_rate: float = LEARNING_RATE.default
    hyperparameters: dict[str, float] = field(default_factory=dict)
    steps: int = 300
    starts: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.float32))
    lock: dict[str, float] = field(default_factory=dict)
    map_dims: tuple[int, int] = (0, 1)
    batch_size: int = 0
    seed: int = 0

    def changed(self, other: Inputs) -> frozenset[str]:
        """The names whose values differ between the two."""
        names = []
        for name in INPUT_NAMES:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, np.ndarray) or isinstance(theirs, np.ndarray):
                same = np.shape(mine) == np.shape(theirs) and np.array_equal(mine, theirs)
            else:
                same = mine is theirs or (type(mine) is type(theirs) and mine == theirs)
            if not same:
                names.append(name)
        return frozenset(names)


@dataclass(frozen=True)
class Proposal:
    """A checked change: the new inputs and the map's bounds that go with them."""

    inputs: Inputs
    bounds: Bounds


def as_points(value: Any, dim: int) -> np.ndarray:
    """Start points as a ``(starts, dim)`` float32 array, or an ObjectiveError saying why not.

    Example:
        >>> as_points([0.5, 1.0], 2)
        array([[0.5, 1. ]], dtype=float32)
    """
    if value is None:
        raise ObjectiveError("starts cannot be None")
    try:
        points = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ObjectiveError(f"starts must be numbers, not {value!r}") from None
    if points.ndim <= 1 and points.size == dim:
        points = points.reshape(1, dim)
    if points.ndim != 2 or points.shape[1] != dim:
        raise ObjectiveError(
            f"starts must have shape (number of starts, {dim}), got {np.shape(points)}"
        )
    if not np.isfinite(points).all():
        raise ObjectiveError("starts must be finite numbers (no NaN or infinity)")
    return points


def check_starts(value: Any, dim: int, max_starts: int) -> np.ndarray:
    """Between one and ``max_starts`` finite start points of ``dim`` parameters.

    Example:
        >>> check_starts([[0.0, 1.0], [2.0, 3.0]], 2, max_starts=1)
        Traceback (most recent call last):
        ...
        jaxgrad_widgets.engine.errors.ObjectiveError: 2 starts is more than this widget's ...
    """
    points = as_points(value, dim)
    if len(points) == 0:
        raise ObjectiveError("give at least one start")
    if len(points) > max_starts:
        raise ObjectiveError(
            f"{len(points)} starts is more than this widget's maximum of {max_starts}"
        )
    return points


def parse_dims(value: Any, names: Sequence[str], function: str = "the function") -> tuple[int, int]:
    """Two different parameters of ``function``, by name or position, as positions.

    Example:
        >>> parse_dims(("c", 0), ("a", "b", "c"))
        (2, 0)
    """
    if value is None:
        return (0, 1)
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray) or len(value) != 2:
        raise ObjectiveError(f"dims must name two parameters, such as {tuple(names[:2])}")
    chosen = []
    for d in value:
        if isinstance(d, str):
            if d not in names:
                raise ObjectiveError(
                    f"'{d}' is not a parameter of {function}; choose from: {', '.join(names)}"
                )
            chosen.append(list(names).index(d))
        elif isinstance(d, int | np.integer) and not isinstance(d, bool) and 0 <= d < len(names):
            chosen.append(int(d))
        else:
            raise ObjectiveError(f"dims entry {d!r} is not a parameter name or position")
    if chosen[0] == chosen[1]:
        raise ObjectiveError("dims must be two different parameters")
    return chosen[0], chosen[1]


class DescentState:
    """The inputs of one dashboard, their checks, and the values derived from them.

    Args:
        objective: the function.
        bounds: the map's view (or the 1-D curve's range) for the first map parameters.
        starts: the first starts (checked), and ``map_dims`` the map's first parameters;
            the other inputs start at their defaults (change them with a proposal).
        bounds_for: the view for other map parameters: ``bounds_for(dims, starts)``.
        max_starts: how many starts the dashboard takes.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> state = DescentState(Objective(lambda x, y: x**2 + y**2), bounds=((-1, 1), (-1, 1)))
        >>> sorted(state.commit(state.propose(starts=[[0.5, 0.5]], lock={"y": 0.2})))
        ['lock', 'starts']
        >>> state.effective_starts.tolist(), state.mask.tolist()
        ([[0.5, 0.20000000298023224]], [1.0, 0.0])
    """

    def __init__(
        self,
        objective: Objective,
        *,
        bounds: Bounds,
        starts: Any = None,
        map_dims: tuple[int, int] = (0, 1),
        bounds_for: Callable[[tuple[int, int], np.ndarray], Bounds] | None = None,
        max_starts: int = 16,
    ) -> None:
        self.objective = objective
        self.names = tuple(objective.names)
        self.one_dimensional = objective.dim == 1
        self.data_names, _ = data_arguments(objective)
        self.max_starts = max_starts
        self.bounds: Bounds = tuple(tuple(float(v) for v in pair) for pair in bounds)
        self._bounds_for = bounds_for
        first = objective.pack_example()[None, :] if starts is None else starts
        self.inputs = Inputs(starts=check_starts(first, objective.dim, max_starts),
                             map_dims=tuple(map_dims))  # fmt: skip
        #: Changes whenever an input other than the learning rate does: runs with the
        #: same key differ by their learning rate alone (a learning-rate family).
        self.key = 0

    # ------------------------------------------------------------------ checks
    def check(self, name: str, value: Any, inputs: Inputs | None = None) -> Any:
        """One input's value, checked and normalised (``inputs``: the others, for the lock)."""
        inputs = inputs or self.inputs
        if name == "optimizer":
            if value is None:
                raise ObjectiveError("optimizer cannot be None")
            spec = resolve_optimizer(value)
            return spec.name if spec.name in OPTIMIZERS else value
        if name == "learning_rate":
            return LEARNING_RATE.check(value)
        if name == "hyperparameters":
            return self._check_hyperparameters(value)
        if name == "steps":
            return check_steps(value)
        if name == "starts":
            return check_starts(value, self.objective.dim, self.max_starts)
        if name == "lock":
            return self._check_lock(value, inputs.map_dims)
        if name == "map_dims":
            if self.one_dimensional:
                raise ObjectiveError(f"{self.objective.name} has one parameter: there are no dims")
            return parse_dims(value, self.names, self.objective.name)
        if name == "batch_size":
            return self._check_batch_size(value)
        if name == "seed":
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ObjectiveError(f"seed must be a whole number, not {value!r}")
            if not 0 <= value <= MAX_SEED:
                raise ObjectiveError(f"seed={value} must be between 0 and {MAX_SEED:,}")
            return int(value)
        raise ObjectiveError(f"'{name}' is not an input of the dashboard")

    def _check_hyperparameters(self, value: Any) -> dict[str, float]:
        if not isinstance(value, Mapping):
            raise ObjectiveError(f"hyperparameters must be a dict, not {value!r}")
        checked = {}
        for name, number in value.items():
            if name == "learning_rate":
                raise ObjectiveError("set the learning rate with w.learning_rate, not here")
            if name not in HYPERPARAMETERS:
                raise ObjectiveError(
                    f"unknown hyperparameter '{name}'; known ones are: "
                    f"{', '.join(sorted(HYPERPARAMETERS))}"
                )
            checked[name] = HYPERPARAMETERS[name].check(number)
        return checked

    def _check_lock(self, value: Any, dims: tuple[int, int]) -> dict[str, float]:
        if not isinstance(value, Mapping):
            raise ObjectiveError(f"lock must be a dict such as {{'y': 1.2}}, not {value!r}")
        lock = dict(value)
        if not lock:
            return {}
        if self.one_dimensional:
            raise ObjectiveError(f"{self.objective.name} has one parameter: nothing to lock")
        if len(lock) != 1:
            raise ObjectiveError("lock one axis at a time, e.g. lock={'y': 1.2}")
        ((name, number),) = lock.items()
        mapped = [self.names[d] for d in dims]
        if name not in mapped:
            raise ObjectiveError(
                f"lock must name one of the map's axes ({', '.join(mapped)}), not {name!r}"
            )
        try:
            number = float(number)
        except (TypeError, ValueError):
            raise ObjectiveError(f"the locked value of {name} must be a number") from None
        if not np.isfinite(number):
            raise ObjectiveError(f"the locked value of {name} must be finite")
        return {name: number}

    def _check_batch_size(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ObjectiveError(f"batch_size must be a whole number, not {value!r}")
        if value == 0:
            return 0
        if not self.data_names:
            raise ObjectiveError(
                f"minibatches need the data bound as a keyword argument of "
                f"{self.objective.name} (for example data=samples)"
            )
        # The engine checks the size against the data and explains a bad one; a
        # minibatch of all the rows is the full gradient.
        return 0 if check_minibatch(self.objective, Minibatch(int(value))) is None else int(value)

    # ------------------------------------------------------------------ changes
    def propose(self, base: Inputs | None = None, **changes: Any) -> Proposal:
        """``base`` (the current inputs) with ``changes``, checked and derived, as a whole.

        Raises an ObjectiveError (or the engine's error) saying what is wrong; nothing
        is changed either way.
        """
        base = base or self.inputs
        unknown = set(changes) - set(INPUT_NAMES)
        if unknown:
            raise ObjectiveError(f"'{sorted(unknown)[0]}' is not an input of the dashboard")
        values = {}
        # The map's axes first: the lock is checked against the new ones.
        for name in sorted(changes, key=lambda n: n != "map_dims"):
            values[name] = self.check(name, changes[name], dataclasses.replace(base, **values))
        inputs = dataclasses.replace(base, **values)
        if "optimizer" in values and values["optimizer"] is not base.optimizer:
            inputs = dataclasses.replace(
                inputs, hyperparameters=self._merged(inputs.optimizer, inputs.hyperparameters)
            )
            before, after = resolve_optimizer(base.optimizer), resolve_optimizer(inputs.optimizer)
            if "learning_rate" not in changes and bool(before.curvature) != bool(after.curvature):
                # To or from Newton's methods, whose rate is a step size (1: a full step):
                # the other kind's rate means something else, so the new one's default.
                rate = after.defaults().get("learning_rate", inputs.learning_rate)
                inputs = dataclasses.replace(inputs, learning_rate=rate)
        bounds = self.bounds
        if inputs.map_dims != base.map_dims:
            lock = inputs.lock
            if lock and self.names.index(next(iter(lock))) not in inputs.map_dims:
                inputs = dataclasses.replace(inputs, lock={})  # its axis left the map
            if self._bounds_for is not None:
                bounds = self._bounds_for(inputs.map_dims, self._effective(inputs))
        # The whole: a lock set in the same change as new axes is checked against them.
        self._check_lock(inputs.lock, inputs.map_dims)
        return Proposal(inputs, bounds)

    @staticmethod
    def _merged(optimizer: Any, hyperparameters: Mapping[str, float]) -> dict[str, float]:
        """Every hyperparameter kept, the new optimizer's own at their last or default value."""
        spec = resolve_optimizer(optimizer)
        own = {h.name: hyperparameters.get(h.name, h.default) for h in spec.hyperparameters
               if h.name != "learning_rate"}  # fmt: skip
        return {**{k: v for k, v in hyperparameters.items() if k not in own}, **own}

    def commit(self, proposal: Proposal) -> frozenset[str]:
        """Make a proposal the state; returns the names of the inputs that changed."""
        changed = proposal.inputs.changed(self.inputs)
        self.inputs = proposal.inputs
        self.bounds = proposal.bounds
        if changed - {"learning_rate"}:
            self.key += 1
        return changed

    # ------------------------------------------------------------------ derived
    @property
    def spec(self) -> OptimizerSpec:
        return resolve_optimizer(self.inputs.optimizer)

    @property
    def hyper_values(self) -> dict[str, float]:
        """The current optimizer's hyperparameters, the learning rate included."""
        values = {}
        for h in self.spec.hyperparameters:
            if h.name == "learning_rate":
                values[h.name] = h.clamp(self.inputs.learning_rate)
            else:
                values[h.name] = self.inputs.hyperparameters.get(h.name, h.default)
        return values

    @property
    def locked(self) -> tuple[int, float] | None:
        """(parameter index, value) of the locked axis, or None."""
        return self._locked(self.inputs)

    def _locked(self, inputs: Inputs) -> tuple[int, float] | None:
        if not inputs.lock:
            return None
        ((name, value),) = inputs.lock.items()
        return self.names.index(name), value

    @property
    def effective_starts(self) -> np.ndarray:
        """The starts as descent uses them: a locked coordinate sits at its value."""
        return self._effective(self.inputs)

    def _effective(self, inputs: Inputs) -> np.ndarray:
        starts = np.array(inputs.starts, dtype=np.float32)
        locked = self._locked(inputs)
        if locked is not None:
            starts[:, locked[0]] = locked[1]
        return starts

    @property
    def mask(self) -> np.ndarray | None:
        """1 for the parameters that move, 0 for a locked one (None: all move)."""
        locked = self.locked
        if locked is None:
            return None
        mask = np.ones(self.objective.dim, np.float32)
        mask[locked[0]] = 0.0
        return mask

    @property
    def minibatch(self) -> Minibatch | None:
        i = self.inputs
        return Minibatch(i.batch_size, i.seed) if i.batch_size else None

    @property
    def map_side(self) -> int | None:
        """Which map axis (0: x, 1: y) is locked, or None."""
        locked = self.locked
        if locked is None:
            return None
        return 0 if locked[0] == self.inputs.map_dims[0] else 1
