"""Exceptions with messages a student can act on.

Every error the engine raises on purpose derives from :class:`JaxGradError`, a
``ValueError``, so ``except ValueError`` also catches them. Each message is one or two
plain sentences that name the function, what was wrong and what to do instead.

Example:
    >>> from jaxgrad_widgets.engine.errors import ObjectiveError
    >>> try:
    ...     raise ObjectiveError("f returned a string; the objective must return a single number")
    ... except ValueError as err:
    ...     print(err)
    f returned a string; the objective must return a single number
"""

from __future__ import annotations

from typing import Any


class JaxGradError(ValueError):
    """Base class of every deliberate jaxgrad_widgets error.

    Example:
        >>> issubclass(ObjectiveError, JaxGradError), issubclass(JaxGradError, ValueError)
        (True, True)
    """


class ObjectiveError(JaxGradError):
    """The function to optimise cannot be used as given (arity, output, argnums).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> try:
        ...     Objective(lambda x: "high")
        ... except ObjectiveError as err:
        ...     print(err)
        the function returned a string ('high'); the objective must return a single real number
    """


class OptimizerError(JaxGradError):
    """An unknown optimizer name, a bad hyperparameter, or an object that is not an optimizer.

    Example:
        >>> from jaxgrad_widgets.engine import resolve_optimizer
        >>> try:
        ...     resolve_optimizer("fast")
        ... except OptimizerError as err:
        ...     print(str(err)[:27])
        unknown optimizer 'fast'; c
    """


class DescentConfigError(JaxGradError):
    """Bad descent settings: steps, starts, tolerance or bounds.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, trajectories
        >>> try:
        ...     trajectories(Objective(lambda x: x**2), "sgd", [[1.0]], 0)
        ... except DescentConfigError as err:
        ...     print(err)
        steps=0: take at least 1 step
    """


def a_type(value: Any) -> str:
    """The kind of ``value`` with its article, for a message: 'an int', 'a str'.

    Example:
        >>> a_type(42), a_type("x"), a_type(None), a_type(1.5)
        ('an int', 'a str', 'None', 'a float')
    """
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
