"""The optimizer registry: one place that names each optimizer and its knobs.

Each entry maps a name to an optax factory and its hyperparameters (default, range,
log scale). The engine injects the hyperparameters as traced values
(``optax.inject_hyperparams``), so changing them never recompiles; the widgets
generate their controls from the same entries.

Example:
    >>> from jaxgrad_widgets.engine.optimizers import OPTIMIZERS, resolve_optimizer
    >>> sorted(OPTIMIZERS)  # doctest: +NORMALIZE_WHITESPACE
    ['adagrad', 'adam', 'momentum', 'nesterov', 'newton', 'rmsprop', 'saddle_free_newton',
     'sgd']
    >>> [h.name for h in OPTIMIZERS["adam"].hyperparameters]
    ['learning_rate', 'b1', 'b2']
    >>> resolve_optimizer("adam").defaults()["b1"]
    0.9
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import optax

from .errors import OptimizerError, a_type


@dataclass(frozen=True)
class Hyperparameter:
    """One tunable number of an optimizer, with the range its control offers.

    Example:
        >>> lr = Hyperparameter("learning_rate", "learning rate", 0.01, 1e-5, 10.0, log=True)
        >>> lr.check(0.5)
        0.5
    """

    name: str
    label: str
    default: float
    low: float
    high: float
    log: bool = False
    description: str = ""

    def check(self, value: Any) -> float:
        """``value`` as a float inside ``[low, high]``, or an OptimizerError saying why not."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise OptimizerError(f"{self.label} must be a number, not {value!r}") from None
        if not math.isfinite(number):
            raise OptimizerError(f"{self.label} must be a finite number, not {value!r}")
        if number < self.low or number > self.high:
            raise OptimizerError(
                f"{self.label} = {number:g} is outside the allowed range "
                f"[{self.low:g}, {self.high:g}]"
            )
        return number

    def clamp(self, value: Any) -> float:
        """``value`` forced into range (for values arriving from a browser); NaN -> default."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            return self.default
        if not math.isfinite(number):
            return self.default
        return min(max(number, self.low), self.high)


LEARNING_RATE = Hyperparameter(
    "learning_rate",
    "learning rate",
    0.01,
    1e-5,
    10.0,
    log=True,
    description="size of each step along the negative gradient",
)
MOMENTUM = Hyperparameter(
    "momentum",
    "momentum",
    0.9,
    0.0,
    0.999,
    description="fraction of the previous step carried into the next",
)


@dataclass(frozen=True)
class OptimizerSpec:
    """A named optimizer: its optax factory and the hyperparameters it takes.

    Example:
        >>> spec = OPTIMIZERS["momentum"]
        >>> spec.label, [h.name for h in spec.hyperparameters]
        ('SGD with momentum', ['learning_rate', 'momentum'])
    """

    name: str
    label: str
    factory: Callable[..., optax.GradientTransformation]
    hyperparameters: tuple[Hyperparameter, ...]
    description: str = ""
    injectable: bool = True
    transformation: optax.GradientTransformation | None = field(default=None, compare=False)
    #: Newton's methods: the step is the optimizer's (a step size times the direction)
    #: along ``H^-1 g`` ("newton") or ``|H|^-1 g`` ("saddle_free"), not along ``g``.
    curvature: str = ""

    def defaults(self) -> dict[str, float]:
        """Each hyperparameter's default value, by name."""
        return {h.name: h.default for h in self.hyperparameters}

    def hyperparameter(self, name: str) -> Hyperparameter:
        for h in self.hyperparameters:
            if h.name == name:
                return h
        valid = ", ".join(h.name for h in self.hyperparameters) or "none"
        raise OptimizerError(
            f"{self.name} has no hyperparameter '{name}'; its hyperparameters are: {valid}"
        )

    def check_hyperparameters(self, values: Mapping[str, Any] | None) -> dict[str, float]:
        """Defaults overridden by ``values``, every value checked against its range.

        Example:
            >>> OPTIMIZERS["sgd"].check_hyperparameters({"learning_rate": 0.1})
            {'learning_rate': 0.1}
        """
        result = self.defaults()
        for name, value in (values or {}).items():
            result[name] = self.hyperparameter(name).check(value)
        return result


#: Newton's methods' learning rate: a step size along their direction, 1 a full step
#: (to the local quadratic model's flat point). The same name and range as every
#: optimizer's learning rate, so that one control serves them all.
NEWTON_STEP = Hyperparameter(
    "learning_rate", "learning rate", 1.0, 1e-5, 10.0, log=True,
    description="step size: 1 is a full Newton step",
)  # fmt: skip


def _spec(name, label, factory, hyperparameters, description, curvature=""):
    return OptimizerSpec(name, label, factory, tuple(hyperparameters), description,
                         curvature=curvature)  # fmt: skip


#: The registry. The only place optimizers are named.
OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "sgd",
            "gradient descent",
            optax.sgd,
            [LEARNING_RATE],
            "x <- x - learning_rate * grad f(x)",
        ),
        _spec(
            "momentum",
            "SGD with momentum",
            optax.sgd,
            [LEARNING_RATE, MOMENTUM],
            "a heavy ball: each step keeps part of the previous one",
        ),
        _spec(
            "nesterov",
            "Nesterov momentum",
            functools.partial(optax.sgd, nesterov=True),
            [LEARNING_RATE, MOMENTUM],
            "momentum that looks ahead before it steps",
        ),
        _spec(
            "adagrad",
            "AdaGrad",
            optax.adagrad,
            [Hyperparameter("learning_rate", "learning rate", 0.1, 1e-5, 10.0, log=True)],
            "per-coordinate steps that shrink with the gradients seen so far",
        ),
        _spec(
            "rmsprop",
            "RMSProp",
            optax.rmsprop,
            [
                LEARNING_RATE,
                Hyperparameter(
                    "decay", "decay", 0.9, 0.0, 0.999, description="memory of squared gradients"
                ),
            ],
            "per-coordinate steps scaled by a running average of squared gradients",
        ),
        _spec(
            "adam",
            "Adam",
            optax.adam,
            [
                Hyperparameter("learning_rate", "learning rate", 0.05, 1e-5, 10.0, log=True),
                Hyperparameter(
                    "b1", "beta 1", 0.9, 0.0, 0.999, description="memory of gradients (momentum)"
                ),
                Hyperparameter(
                    "b2", "beta 2", 0.999, 0.0, 0.99999, description="memory of squared gradients"
                ),
            ],
            "momentum plus per-coordinate scaling; the usual default in deep learning",
        ),
        _spec(
            "newton",
            "Newton's method",
            optax.sgd,
            [NEWTON_STEP],
            "solves H d = -g: jumps to where the local quadratic model is flat, a minimum, "
            "a saddle or a maximum alike",
            curvature="newton",
        ),
        _spec(
            "saddle_free_newton",
            "saddle-free Newton",
            optax.sgd,
            [NEWTON_STEP],
            "Newton's step with |H| (eigenvalues by their size, floored): always downhill, "
            "so a saddle pushes it away instead of pulling it in",
            curvature="saddle_free",
        ),
    )
}


def _by_name(specs: Any) -> dict[str, Hyperparameter]:
    index: dict[str, Hyperparameter] = {}
    for spec in specs:
        for h in spec.hyperparameters:
            index.setdefault(h.name, h)
    return index


#: Every hyperparameter the registry names, by name, in the order the optimizers first
#: take them: the first optimizer's (optimizers that share a name share its range; only
#: their defaults may differ).
HYPERPARAMETERS: dict[str, Hyperparameter] = _by_name(OPTIMIZERS.values())


def _is_gradient_transformation(obj: Any) -> bool:
    return callable(getattr(obj, "init", None)) and callable(getattr(obj, "update", None))


_SHAPE_OF_A_TRANSFORMATION = (
    "an optax transformation needs init(params) -> state and "
    "update(updates, state, params) -> (updates, state)"
)


def _first_line(err: Exception) -> str:
    lines = str(err).splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


def _leaves(tree: Any) -> tuple[Any, list[tuple[tuple[int, ...], Any]]]:
    leaves, structure = jax.tree.flatten(tree)
    return structure, [(tuple(leaf.shape), leaf.dtype) for leaf in leaves]


def check_transformation(optimizer: Any) -> None:
    """Raise an OptimizerError unless ``optimizer`` works the way the descent calls it.

    The descent calls ``init`` and ``update(grads, state, params)`` on vmapped batches of
    flat float32 vectors inside a compiled loop, which needs the state to keep its
    structure. Checked by abstract evaluation (``jax.eval_shape``: nothing is computed),
    so a wrong signature is explained here rather than surfacing from inside a trace.

    Example:
        >>> import optax
        >>> check_transformation(optax.chain(optax.clip(1.0), optax.adam(0.1)))
        >>> def update(updates, state):  # params missing
        ...     return updates, state
        >>> try:
        ...     check_transformation(optax.GradientTransformation(lambda params: (), update))
        ... except OptimizerError as err:
        ...     print(err)  # doctest: +NORMALIZE_WHITESPACE
        the optimizer's update(updates, state, params) raised TypeError: update() takes 2
        positional arguments but 3 were given; an optax transformation needs init(params) ->
        state and update(updates, state, params) -> (updates, state)
    """
    # Two starts of three parameters: batched and vector-valued, as in a real descent.
    params = jax.ShapeDtypeStruct((2, 3), jnp.float32)
    try:
        state = jax.eval_shape(jax.vmap(optimizer.init), params)
    except Exception as err:
        raise OptimizerError(
            f"the optimizer's init(params) raised {_first_line(err)}; {_SHAPE_OF_A_TRANSFORMATION}"
        ) from None
    try:
        out = jax.eval_shape(jax.vmap(optimizer.update), params, state, params)
    except Exception as err:
        raise OptimizerError(
            f"the optimizer's update(updates, state, params) raised {_first_line(err)}; "
            f"{_SHAPE_OF_A_TRANSFORMATION}"
        ) from None
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise OptimizerError(
            "the optimizer's update(updates, state, params) must return a pair (updates, state); "
            f"{_SHAPE_OF_A_TRANSFORMATION}"
        )
    updates, new_state = out
    if getattr(updates, "shape", None) != params.shape:
        raise OptimizerError(
            "the optimizer's update(updates, state, params) must return updates shaped like the "
            f"params; {_SHAPE_OF_A_TRANSFORMATION}"
        )
    if _leaves(new_state) != _leaves(state):
        raise OptimizerError(
            "the optimizer's update(updates, state, params) returned a state of another structure "
            "than init(params) made; each step must return the state in the shape it received"
        )


#: Transformations already checked, by id, each kept alive by its entry so that an id
#: is never reused while cached. Bounded: the widgets call resolve_optimizer on every
#: recompute, and a check costs a trace (tens of milliseconds).
_CHECKED: OrderedDict[int, OptimizerSpec] = OrderedDict()
_CHECKED_LOCK = threading.Lock()
_CHECKED_SIZE = 32


def _custom_spec(optimizer: Any) -> OptimizerSpec:
    with _CHECKED_LOCK:
        spec = _CHECKED.get(id(optimizer))
        if spec is not None and spec.transformation is optimizer:
            _CHECKED.move_to_end(id(optimizer))
            return spec
    check_transformation(optimizer)
    spec = OptimizerSpec(
        name="custom",
        label=f"custom ({type(optimizer).__name__})",
        factory=lambda: optimizer,
        hyperparameters=(),
        description="an optax transformation passed in directly",
        injectable=False,
        transformation=optimizer,
    )
    with _CHECKED_LOCK:
        _CHECKED[id(optimizer)] = spec
        while len(_CHECKED) > _CHECKED_SIZE:
            _CHECKED.popitem(last=False)
    return spec


def resolve_optimizer(optimizer: str | optax.GradientTransformation) -> OptimizerSpec:
    """The registry entry for a name, or an entry wrapping a ready optax transformation.

    A transformation passed directly has its hyperparameters baked in, so it has
    none to tune here. It is checked once (see :func:`check_transformation`), so one
    that cannot work is refused here in a sentence.

    Example:
        >>> import optax
        >>> resolve_optimizer(optax.sgd(0.1)).hyperparameters
        ()
        >>> resolve_optimizer("Adam").name
        'adam'
    """
    if isinstance(optimizer, str):
        key = optimizer.strip().lower()
        if key in OPTIMIZERS:
            return OPTIMIZERS[key]
        valid = ", ".join(sorted(OPTIMIZERS))
        raise OptimizerError(
            f"unknown optimizer '{optimizer}'; choose one of: {valid} "
            "(or pass an optax.GradientTransformation)"
        )
    if isinstance(optimizer, OptimizerSpec):
        return optimizer
    if _is_gradient_transformation(optimizer):
        return _custom_spec(optimizer)
    raise OptimizerError(
        f"optimizer must be a name ({', '.join(sorted(OPTIMIZERS))}) or an "
        f"optax.GradientTransformation such as optax.adam(0.01), not {a_type(optimizer)}"
    )
