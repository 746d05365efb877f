"""One Objective, and so one set of compiled kernels, per function the widgets show.

Every :class:`Objective` owns its compiled kernels (value, gradient, descent,
landscape, derivatives): several MB of XLA executables. Re-running a notebook cell
leaves the previous output's widget alive (ipywidgets keeps every widget until it is
closed), and each new widget compiled its own copy: 200 re-runs held about 1.3 GB.
:func:`shared_objective` hands every widget made from the same function, with the
same bound arguments and start shapes, the same Objective instead.

A compiled kernel has every value the function read when it was traced baked in,
so an Objective is only reused when none of them can have changed: the key holds
the function's code, its closure cells, its defaults and the globals its code names
(following helper functions a few levels down), and the bound arguments, with numpy
arrays, lists and dicts by content because they can be changed in place. Changing a
global in another cell and re-running the widget's cell therefore builds a fresh
Objective, as before. A function that cannot be jitted is never shared: it has no
compiled kernels to save, and building it again repeats its warning.

Example:
    >>> from jaxgrad_widgets.functions import goldfield
    >>> shared_objective(goldfield) is shared_objective(goldfield)
    True
    >>> def bowl(x, y):
    ...     return x**2 + scale * y**2
    >>> scale = 1.0
    >>> first = shared_objective(bowl)
    >>> scale = 2.0
    >>> shared_objective(bowl) is first, float(shared_objective(bowl).value([1.0, 1.0]))
    (False, 3.0)
"""

from __future__ import annotations

import functools
import hashlib
import threading
import types
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from .errors import ObjectiveError
from .objective import Objective, _normalise_argnums

#: Objectives kept after their last widget is gone, so that closing a widget and
#: running its cell again compiles nothing; older ones are freed with their kernels.
RECENT_OBJECTIVES = 4

#: How deep the key follows the values a function reads (helpers, containers):
#: deeper values are compared by identity only.
_DEPTH = 4

#: Lists, tuples and dicts longer than this are not compared item by item: an
#: objective reading one is simply not shared.
_LONGEST = 1000


class _Same:
    """Compares by identity, and holds its object so that its id cannot be reused by a
    new object while a key containing it exists (a reused id would be a false match)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


def _code_names(code: types.CodeType) -> set[str]:
    """The global names a code object and the lambdas or comprehensions in it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _fingerprint(value: Any, depth: int = 0) -> Hashable:
    """A hashable stand-in for ``value`` that changes whenever what a trace of it would
    bake in can have changed (by content where it can be changed in place)."""
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        return (type(value), value)
    if isinstance(value, np.generic):
        return (type(value), value.tobytes())
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        digest = hashlib.blake2b(np.ascontiguousarray(value).data, digest_size=16).digest()
        return (np.ndarray, value.shape, value.dtype.str, digest)
    if depth >= _DEPTH or isinstance(value, jax.Array | types.ModuleType | type):
        return _Same(value)  # jax arrays are immutable; modules and classes are not data
    deeper = depth + 1
    if isinstance(value, tuple | list | dict) and len(value) > _LONGEST:
        return _Same(object())  # equal to nothing: not shared, rather than slow to compare
    if isinstance(value, tuple | list):
        return (type(value), tuple(_fingerprint(v, deeper) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((_fingerprint(k, deeper), _fingerprint(v, deeper))
                            for k, v in value.items()))  # fmt: skip
    if isinstance(value, functools.partial):
        return (
            functools.partial,
            _fingerprint(value.func, deeper),
            _fingerprint(value.args, deeper),
            _fingerprint(value.keywords, deeper),
        )
    if isinstance(value, types.MethodType):
        return (types.MethodType, _fingerprint(value.__func__, deeper), _Same(value.__self__))
    if isinstance(value, types.FunctionType):
        code = value.__code__
        names = sorted(n for n in _code_names(code) if n in value.__globals__)
        return (
            _Same(value),
            _Same(code),
            _fingerprint(value.__defaults__, deeper),
            _fingerprint(value.__kwdefaults__, deeper),
            tuple(_fingerprint(cell.cell_contents, deeper) for cell in value.__closure__ or ()),
            tuple((n, _fingerprint(value.__globals__[n], deeper)) for n in names),
        )
    return _Same(value)  # anything else (a model object, a jitted function) by identity


def _example_shapes(example: Any) -> Hashable:
    """What an Objective takes from its example: the nesting and each value's shape."""
    leaves, treedef = jax.tree_util.tree_flatten(example)
    return (treedef, tuple(np.shape(leaf) for leaf in leaves))


def objective_key(
    f: Callable[..., Any],
    argnums: int | Sequence[int] | None = None,
    fixed: Mapping[str, Any] | None = None,
    example: Any = None,
) -> Hashable:
    """Equal for two calls exactly when they may share one Objective."""
    bound = tuple(sorted((str(k), _fingerprint(v)) for k, v in (fixed or {}).items()))
    return (_fingerprint(f), _normalise_argnums(argnums), bound, _example_shapes(example))


class _SharedObjectives:
    def __init__(self, recent: int = RECENT_OBJECTIVES) -> None:
        self._lock = threading.Lock()
        # Every shared objective some widget still uses; it goes when they all do.
        self._live: weakref.WeakValueDictionary[Hashable, Objective] = weakref.WeakValueDictionary()
        self._recent: OrderedDict[Hashable, Objective] = OrderedDict()
        self._keep = recent

    def get(
        self,
        f: Callable[..., Any],
        argnums: int | Sequence[int] | None,
        fixed: Mapping[str, Any] | None,
        example: Any,
    ) -> Objective:
        try:
            key = objective_key(f, argnums, fixed, example)
            hash(key)
        except (ObjectiveError, TypeError, ValueError):
            key = None  # odd arguments: a fresh Objective raises the error that says why
        if key is not None:
            with self._lock:
                objective = self._live.get(key)
                if objective is not None:
                    self._remember(key, objective)
                    return objective
        # Built outside the lock: checking and compiling f takes a while.
        objective = Objective(f, argnums, fixed=fixed, example=example)
        if key is None or not objective.jittable:
            return objective
        with self._lock:
            objective = self._live.setdefault(key, objective)  # a racing thread's wins
            self._remember(key, objective)
        return objective

    def _remember(self, key: Hashable, objective: Objective) -> None:
        self._recent[key] = objective
        self._recent.move_to_end(key)
        while len(self._recent) > self._keep:
            self._recent.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._live.clear()
            self._recent.clear()

    def __len__(self) -> int:
        return len(self._live)


_SHARED = _SharedObjectives()


def shared_objective(
    f: Callable[..., Any],
    argnums: int | Sequence[int] | None = None,
    *,
    fixed: Mapping[str, Any] | None = None,
    example: Any = None,
) -> Objective:
    """``Objective(f, argnums, fixed=fixed, example=example)``, or the equal one already
    built, with its compiled kernels (see the module's docstring for when that is).

    Example:
        >>> import numpy as np
        >>> def mse(w, data):
        ...     return ((data - w) ** 2).mean()
        >>> data = np.array([1.0, 3.0])
        >>> first = shared_objective(mse, fixed={"data": data})
        >>> first is shared_objective(mse, fixed={"data": data})
        True
        >>> data[0] = 5.0  # changed in place: the compiled kernels hold the old values
        >>> shared_objective(mse, fixed={"data": data}) is first
        False
    """
    return _SHARED.get(f, argnums, fixed, example)


def shared_objectives() -> int:
    """How many shared Objectives are alive (used by a widget or recently used)."""
    return len(_SHARED)
