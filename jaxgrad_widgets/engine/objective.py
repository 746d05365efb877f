"""Objective: a user's function seen as one scalar function of one flat vector.

A user writes ``f(x, y)``, ``f(p)`` with a vector ``p``, ``f(mu, log_sigma, data)``,
a ``functools.partial`` or a closure. :class:`Objective` binds the fixed keyword
arguments, picks the arguments to optimise (``argnums``, as in ``jax.grad``), packs
them into one flat float vector, and checks ``f`` once by evaluating it, so that a
mistake is reported as one plain sentence before any descent runs.

Example:
    >>> from jaxgrad_widgets.engine.objective import Objective
    >>> def goldfield(x, y):
    ...     return 2 * x**2 - 4 * x * y + y**4 + 2
    >>> obj = Objective(goldfield)
    >>> obj.names, obj.dim
    (('x', 'y'), 2)
    >>> float(obj.value([1.0, 1.0]))
    1.0
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .errors import ObjectiveError, a_type

# The errors JAX raises when a function cannot be traced: Python control flow or
# conversions (int(), float(), bool()) on the values of its arguments.
_TRACING_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerBoolConversionError,
)

#: Value used for each argument when ``f`` is checked and no example is given:
#: away from the usual singular points (0, 1) of log, sqrt, abs and 1/x.
DEFAULT_EXAMPLE_VALUE = 0.3


class NotJittableWarning(UserWarning):
    """The objective works, but only un-jitted (slower), for the reason given.

    Example:
        >>> import warnings
        >>> def absolute(x):
        ...     return x if x > 0 else -x
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     Objective(absolute).jittable
        False
        >>> caught[0].category is NotJittableWarning
        True
    """


def function_name(f: Callable[..., Any]) -> str:
    """A readable name for ``f``: its ``__name__``, seeing through functools.partial.

    Example:
        >>> import functools
        >>> def nll(mu, data): return mu
        >>> function_name(functools.partial(nll, data=1)), function_name(lambda x: x)
        ('nll', 'the function')
    """
    while isinstance(f, functools.partial):
        f = f.func
    name = getattr(f, "__name__", None)
    if not name or name == "<lambda>":
        return "the function"
    return name


def _format_point(names: Sequence[str], flat: np.ndarray) -> str:
    return ", ".join(f"{n}={float(v):.4g}" for n, v in zip(names, flat, strict=False))


@dataclass(frozen=True)
class _Signature:
    """The parts of ``inspect.signature`` the Objective needs."""

    positional: tuple[inspect.Parameter, ...]
    keyword_only: tuple[inspect.Parameter, ...]
    var_positional: bool
    var_keyword: bool
    known: bool


def _read_signature(f: Callable[..., Any]) -> _Signature:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return _Signature((), (), True, True, known=False)
    kinds = inspect.Parameter
    params = list(sig.parameters.values())
    return _Signature(
        positional=tuple(
            p for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
        ),
        keyword_only=tuple(p for p in params if p.kind is kinds.KEYWORD_ONLY),
        var_positional=any(p.kind is kinds.VAR_POSITIONAL for p in params),
        var_keyword=any(p.kind is kinds.VAR_KEYWORD for p in params),
        known=True,
    )


def _normalise_argnums(argnums: int | Sequence[int] | None) -> tuple[int, ...] | None:
    if argnums is None:
        return None
    if isinstance(argnums, bool) or not isinstance(argnums, int | Sequence):
        raise ObjectiveError(
            f"argnums must be an integer or a tuple of integers such as (0, 1), not {argnums!r}"
        )
    values = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not values:
        raise ObjectiveError("argnums is empty; choose at least one argument to optimise")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ObjectiveError(f"argnums must contain integers, not {value!r}")
    if len(set(values)) != len(values):
        raise ObjectiveError(f"argnums={values} names an argument twice; list each one once")
    return tuple(int(v) for v in values)


class Objective:
    """A user function as a scalar function of one flat float32 vector.

    Args:
        f: the function. Its chosen arguments are optimised; the rest are bound.
        argnums: positions of the arguments to optimise (like ``jax.grad``). By
            default, every positional argument that has no default and is not bound.
        fixed: values for the other arguments, by name (``data=...``).
        example: a value for each chosen argument (a vector for a vector argument);
            used to check ``f`` and to learn each argument's shape. Defaults to 0.3
            for each, as scalars.

    Raises:
        ObjectiveError: in one sentence, when ``f`` cannot be optimised as given.

    Example:
        >>> import jax.numpy as jnp
        >>> def negloglike(mu, log_sigma, data):
        ...     sigma = jnp.exp(log_sigma)
        ...     return jnp.mean(0.5 * ((data - mu) / sigma) ** 2 + log_sigma)
        >>> obj = Objective(negloglike, argnums=(0, 1), fixed={"data": jnp.array([1.0, 3.0])})
        >>> obj.names
        ('mu', 'log_sigma')
        >>> [round(float(g), 3) for g in obj.grad([2.0, 0.0])]
        [0.0, 0.0]
    """

    def __init__(
        self,
        f: Callable[..., Any],
        argnums: int | Sequence[int] | None = None,
        *,
        fixed: Mapping[str, Any] | None = None,
        example: Any = None,
    ) -> None:
        if isinstance(f, Objective):
            raise ObjectiveError("this is already an Objective; pass the plain function instead")
        if not callable(f):
            raise ObjectiveError(
                f"{a_type(f)} is not a function; pass a Python function such as "
                "`def f(x, y): return x**2 + y**2`"
            )
        self.function = f
        self.name = function_name(f)
        self.fixed = dict(fixed or {})
        self._signature = _read_signature(f)
        self.argnums = self._choose_argnums(_normalise_argnums(argnums))
        self._call_plan = self._plan_call()
        self.arg_names = tuple(self._argument_name(i) for i in self.argnums)
        self.shapes = self._shapes_from_example(example)
        self.sizes = tuple(int(np.prod(s, dtype=int)) for s in self.shapes)
        self.dim = int(sum(self.sizes))
        self.names = tuple(self._flat_names())
        example_flat = self.pack_example(example)
        self.jittable = True
        self._batched: dict[int, Callable[[Any], jax.Array]] = {}
        self._check(example_flat)
        self._compiled_value = jax.jit(self._value) if self.jittable else self._value
        grad = jax.grad(self._value)
        self._compiled_grad = jax.jit(grad) if self.jittable else grad

    # ------------------------------------------------------------------ signature
    def _argument_name(self, position: int) -> str:
        positional = self._signature.positional
        if position < len(positional):
            return positional[position].name
        return f"arg{position}"

    def _choose_argnums(self, argnums: tuple[int, ...] | None) -> tuple[int, ...]:
        sig = self._signature
        positional_names = [p.name for p in sig.positional]
        keyword_names = {p.name for p in sig.keyword_only}
        for key in self.fixed:
            if (
                sig.known
                and not sig.var_keyword
                and key not in positional_names + list(keyword_names)
            ):
                listed = ", ".join(positional_names + sorted(keyword_names)) or "none"
                raise ObjectiveError(
                    f"{self.name} has no parameter named '{key}'; its parameters are: {listed}"
                )
        if argnums is None:
            argnums = tuple(
                i
                for i, p in enumerate(sig.positional)
                if p.default is inspect.Parameter.empty and p.name not in self.fixed
            )
            if not argnums:
                if sig.var_positional or not sig.known:
                    argnums = (0,)
                else:
                    raise ObjectiveError(
                        f"{self.name} has no free argument to optimise: every parameter is bound "
                        "or has a default; pass argnums=... to choose one"
                    )
        n_positional = len(sig.positional)
        for i in argnums:
            if i < 0 or (not sig.var_positional and sig.known and i >= n_positional):
                names = ", ".join(positional_names) or "no positional arguments"
                raise ObjectiveError(
                    f"argnums={argnums} is out of range: {self.name} takes {n_positional} "
                    f"positional argument{'s' if n_positional != 1 else ''} ({names}), so each "
                    f"argnum must be between 0 and {max(n_positional - 1, 0)}"
                )
            if i < n_positional and sig.positional[i].name in self.fixed:
                raise ObjectiveError(
                    f"'{sig.positional[i].name}' is both chosen in argnums and bound to a fixed "
                    "value; do one or the other"
                )
        return argnums

    def _plan_call(self) -> tuple[tuple[str, Any], ...]:
        """For each positional slot up to the last chosen one: where its value comes from."""
        sig = self._signature
        plan: list[tuple[str, Any]] = []
        last = max(self.argnums)
        for i in range(last + 1):
            if i in self.argnums:
                plan.append(("param", self.argnums.index(i)))
                continue
            param = sig.positional[i]
            if param.name in self.fixed:
                plan.append(("fixed", param.name))
            elif param.default is not inspect.Parameter.empty:
                plan.append(("value", param.default))
            else:
                raise ObjectiveError(
                    f"{self.name} needs a value for '{param.name}': pass {param.name}=... to bind "
                    f"it, or include its position ({i}) in argnums"
                )
        for param in sig.positional[last + 1 :]:
            if param.default is inspect.Parameter.empty and param.name not in self.fixed:
                raise ObjectiveError(
                    f"{self.name} takes {len(sig.positional)} arguments "
                    f"({', '.join(p.name for p in sig.positional)}) but '{param.name}' is neither "
                    f"optimised nor bound: pass {param.name}=... or include it in argnums"
                )
        for param in sig.keyword_only:
            if param.default is inspect.Parameter.empty and param.name not in self.fixed:
                raise ObjectiveError(
                    f"{self.name}'s keyword-only parameter '{param.name}' needs a value: "
                    f"pass {param.name}=..."
                )
        return tuple(plan)

    def _flat_names(self) -> list[str]:
        names = []
        for name, shape in zip(self.arg_names, self.shapes, strict=True):
            if shape == ():
                names.append(name)
            else:
                names.extend(f"{name}[{', '.join(map(str, idx))}]" for idx in np.ndindex(shape))
        return names

    # ------------------------------------------------------------------ packing
    def _shapes_from_example(self, example: Any) -> tuple[tuple[int, ...], ...]:
        if example is None:
            return tuple(() for _ in self.argnums)
        values = self._example_per_argument(example)
        return tuple(np.shape(v) for v in values)

    def _example_per_argument(self, example: Any) -> list[Any]:
        if len(self.argnums) == 1:
            return [example]
        if isinstance(example, np.ndarray | jax.Array):
            example = list(example)
        if not isinstance(example, Sequence) or len(example) != len(self.argnums):
            raise ObjectiveError(
                f"the start {example!r} does not fit {self.name}: it optimises "
                f"{len(self.argnums)} arguments ({', '.join(self.arg_names)}), so give one value "
                f"for each"
            )
        return list(example)

    def pack_example(self, example: Any = None) -> np.ndarray:
        """A flat float32 vector from one value per chosen argument (or the default).

        Example:
            >>> Objective(lambda x, y: x * y).pack_example((1, 2))
            array([1., 2.], dtype=float32)
        """
        if example is None:
            return np.full(self.dim, DEFAULT_EXAMPLE_VALUE, dtype=np.float32)
        parts = []
        for value, shape, name in zip(
            self._example_per_argument(example), self.shapes, self.arg_names, strict=True
        ):
            try:
                array = np.asarray(value, dtype=np.float32)
            except (TypeError, ValueError):
                raise ObjectiveError(
                    f"the start value for '{name}' must be a number, not {value!r}"
                ) from None
            if array.shape != shape:
                raise ObjectiveError(
                    f"the start value for '{name}' has shape {array.shape} but {self.name} "
                    f"was set up with shape {shape}"
                )
            parts.append(array.ravel())
        return np.concatenate(parts).astype(np.float32)

    def unpack(self, flat: Any) -> list[Any]:
        """Split a flat vector into one array per chosen argument, in argnums order."""
        parts = []
        offset = 0
        for size, shape in zip(self.sizes, self.shapes, strict=True):
            parts.append(jnp.reshape(flat[offset : offset + size], shape))
            offset += size
        return parts

    def call(self, flat: Any, fixed: Mapping[str, Any] | None = None) -> Any:
        """Call the user's function on a flat vector, exactly as written (no checks).

        ``fixed`` replaces some of the bound arguments for this call (a minibatch of
        the data, say); the others keep their bound values.
        """
        bound = {**self.fixed, **fixed} if fixed else self.fixed
        params = self.unpack(flat)
        args = []
        for source, item in self._call_plan:
            if source == "param":
                args.append(params[item])
            elif source == "fixed":
                args.append(bound[item])
            else:
                args.append(item)
        positional_fixed = {name for source, name in self._call_plan if source == "fixed"}
        keywords = {k: v for k, v in bound.items() if k not in positional_fixed}
        return self.function(*args, **keywords)

    def value_with(self, flat: Any, fixed: Mapping[str, Any] | None) -> Any:
        """The traceable scalar at ``flat`` with some bound arguments replaced (see call).

        Example:
            >>> def mean_sq(m, data): return ((data - m) ** 2).mean()
            >>> obj = Objective(mean_sq, fixed={"data": jnp.array([0.0, 2.0])})
            >>> float(obj.value_with(jnp.array([0.0]), {"data": jnp.array([2.0])}))
            4.0
        """
        return jnp.reshape(self.call(flat, fixed), ()).astype(jnp.float32)

    def _value(self, flat: Any) -> Any:
        return self.value_with(flat, None)

    @property
    def scalar_function(self) -> Callable[[Any], Any]:
        """The pure function flat vector -> scalar float32 that the engine traces."""
        return self._value

    def value(self, flat: Any) -> jax.Array:
        """``f`` at a flat parameter vector, as a float32 scalar.

        Example:
            >>> float(Objective(lambda x, y: x + y).value([1.0, 2.0]))
            3.0
        """
        return self._compiled_value(self.as_flat(flat))

    def grad(self, flat: Any) -> jax.Array:
        """The gradient of ``f`` with respect to the flat parameter vector.

        Example:
            >>> Objective(lambda x, y: x * y).grad([2.0, 3.0]).tolist()
            [3.0, 2.0]
        """
        return self._compiled_grad(self.as_flat(flat))

    def batched(self, batch: int) -> Callable[[Any], jax.Array]:
        """A compiled ``points (n, dim) -> values (n,)`` that works ``batch`` points at a time.

        Cached per batch size, so drawing a landscape again does not recompile.

        Example:
            >>> import numpy as np
            >>> Objective(lambda x, y: x * y).batched(2)(np.ones((3, 2), np.float32)).tolist()
            [1.0, 1.0, 1.0]
        """
        evaluate = self._batched.get(batch)
        if evaluate is None:
            evaluate = jax.jit(lambda points: jax.lax.map(self._value, points, batch_size=batch))
            self._batched[batch] = evaluate
        return evaluate

    def as_flat(self, point: Any) -> jax.Array:
        """A point (a number, a sequence, an array) as a checked flat float32 vector.

        Example:
            >>> Objective(lambda x: x**2).as_flat(3.0).tolist()
            [3.0]
        """
        flat = jnp.ravel(jnp.asarray(point, dtype=jnp.float32))
        if flat.shape != (self.dim,):
            raise ObjectiveError(
                f"a point of {self.name} needs {self.dim} number{'s' if self.dim != 1 else ''} "
                f"({', '.join(self.names)}), got {flat.shape[0]}"
            )
        return flat

    # ------------------------------------------------------------------ checks
    def _check(self, flat: np.ndarray) -> None:
        at = _format_point(self.names, flat)
        try:
            out = self.call(jnp.asarray(flat))
        except (IndexError, TypeError) as err:
            hint = ""
            if all(s == () for s in self.shapes) and "ind" in str(err).lower():
                hint = (
                    "; if an argument is a vector, give a start with its size, "
                    "e.g. start=[0.0, 0.0]"
                )
            raise ObjectiveError(
                f"{self.name} raised {type(err).__name__}: {err} (evaluated at {at}){hint}"
            ) from None
        except Exception as err:
            raise ObjectiveError(
                f"{self.name} raised {type(err).__name__}: {err} (evaluated at {at})"
            ) from None
        self._check_output(out)
        try:
            jax.jit(self._value)(flat).block_until_ready()
        except _TRACING_ERRORS as err:
            self.jittable = False
            reason = str(err).splitlines()[0]
            warnings.warn(
                f"{self.name} cannot be compiled with jax.jit ({reason}); it will run "
                "un-jitted, which is much slower. Python `if`, int() or float() on its "
                "arguments cause this: use jnp.where instead.",
                NotJittableWarning,
                stacklevel=3,
            )
        except Exception as err:
            raise ObjectiveError(
                f"{self.name} cannot be traced by JAX: {type(err).__name__}: "
                f"{str(err).splitlines()[0]}"
            ) from None
        grad = jax.grad(self._value)
        try:
            (jax.jit(grad) if self.jittable else grad)(flat)
        except Exception as err:
            raise ObjectiveError(
                f"JAX cannot differentiate {self.name}: {type(err).__name__}: "
                f"{str(err).splitlines()[0]}"
            ) from None

    def _check_output(self, out: Any) -> None:
        must = "the objective must return a single real number"
        if out is None:
            raise ObjectiveError(f"{self.name} returned None; {must} (is a `return` missing?)")
        if isinstance(out, str | bytes):
            raise ObjectiveError(f"{self.name} returned a string ({out!r}); {must}")
        try:
            array = jnp.asarray(out)
        except (TypeError, ValueError):
            raise ObjectiveError(f"{self.name} returned {a_type(out)}; {must}") from None
        if jnp.issubdtype(array.dtype, jnp.complexfloating):
            raise ObjectiveError(
                f"{self.name} returned a complex number; {must} (take abs() or .real of it)"
            )
        if array.dtype == jnp.bool_:
            raise ObjectiveError(f"{self.name} returned True/False; {must}")
        if jnp.issubdtype(array.dtype, jnp.integer):
            raise ObjectiveError(
                f"{self.name} returned an integer ({array.dtype}); an objective must compute "
                "with real numbers to have a gradient: avoid int(), round() and // on its "
                "arguments"
            )
        if array.size != 1:
            raise ObjectiveError(
                f"{self.name} returned an array of shape {tuple(array.shape)}; {must} "
                "(sum it, average it or pick one element)"
            )

    def __repr__(self) -> str:
        return f"Objective({self.name}, parameters=({', '.join(self.names)}))"
