"""Functions to explore: the teaching examples and classic optimizer test functions.

Each function is plain JAX code that works with ``jax.grad``. The known ones carry a
:class:`FunctionInfo` (default bounds, start and known minima), read with
:func:`describe`; the widgets use it for their first view and the tests for their
expectations. Any other function works too; its bounds and minima are then found.

Example:
    >>> import jax
    >>> from jaxgrad_widgets.functions import goldfield, polynomial, describe
    >>> float(goldfield(1.0, 1.0)), float(jax.grad(polynomial)(3.0))
    (1.0, 22.0)
    >>> describe(goldfield).minima
    ((1.0, 1.0), (-1.0, -1.0))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp


@dataclass(frozen=True)
class FunctionInfo:
    """What is known about a function: where to look, where to start, where it ends.

    Example:
        >>> FunctionInfo(bounds=((-1.0, 1.0),), start=(0.5,), minima=((0.0,),)).bounds
        ((-1.0, 1.0),)
    """

    bounds: tuple[tuple[float, float], ...]
    start: tuple[float, ...]
    minima: tuple[tuple[float, ...], ...] = ()
    formula: str = ""
    #: The settings a view starts with: plain gradient descent at this rate converges
    #: from ``start`` within ``steps`` (a function without a minimum has none).
    steps: int | None = None
    learning_rate: float | None = None


def _known(**info: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def attach(f: Callable[..., Any]) -> Callable[..., Any]:
        f.jaxgrad_info = FunctionInfo(**info)  # type: ignore[attr-defined]
        return f

    return attach


def describe(f: Callable[..., Any]) -> FunctionInfo | None:
    """The :class:`FunctionInfo` of a known function, or None.

    Example:
        >>> describe(rosenbrock).minima
        ((1.0, 1.0),)
        >>> describe(lambda x: x) is None
        True
    """
    return getattr(f, "jaxgrad_info", None)


@_known(bounds=((-3.0, 3.0),), start=(2.0,), formula="3x + 1")
def line(x):
    """The straight line 3x + 1: its derivative is 3 everywhere, and it has no minimum.

    Example:
        >>> import jax; float(jax.grad(line)(5.0))
        3.0
    """
    return 3 * x + 1


@_known(
    bounds=((-4.0, 3.5),),
    start=(3.0,),
    minima=((-2.0 / 3.0,),),
    formula="3x² + 4x − 3",
    steps=200,
    learning_rate=0.01,
)
def polynomial(x):
    """The parabola 3x² + 4x − 3, with f'(x) = 6x + 4, f'' = 6 and its minimum at −2/3.

    Example:
        >>> import jax; float(jax.grad(polynomial)(3.0)), float(jax.grad(jax.grad(polynomial))(0.0))
        (22.0, 6.0)
    """
    return 3 * x**2 + 4 * x - 3


@_known(
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    start=(0.1, 0.1),
    minima=((1.0, 1.0), (-1.0, -1.0)),
    formula="2x² − 4xy + y⁴ + 2",
    steps=300,
    learning_rate=0.05,
)
def goldfield(x, y):
    """Two valleys, at (1, 1) and (−1, −1), with a saddle between them at (0, 0).

    Example:
        >>> float(goldfield(1.0, 1.0)), float(goldfield(0.0, 0.0))
        (1.0, 2.0)
    """
    return 2 * x**2 - 4 * x * y + y**4 + 2


@_known(
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    start=(-1.5, 2.0),
    minima=((1.0, 1.0),),
    formula="(1 − x)² + 100 (y − x²)²",
    # Plain gradient descent needs a rate below 2/1000 (the valley's walls) and then
    # about 14,000 steps along its flat floor: the lesson momentum and Adam answer.
    steps=15_000,
    learning_rate=0.0015,
)
def rosenbrock(x, y):
    """Rosenbrock's banana valley; the minimum (1, 1) lies at the end of a long, flat curve.

    Its walls are about 1000 times steeper than its floor: plain gradient descent
    diverges from a rate of about 0.002 and, below it, crawls along the floor (its
    default, 0.0015, takes about 14,000 steps).

    Example:
        >>> float(rosenbrock(1.0, 1.0))
        0.0
    """
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@_known(
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    start=(0.0, 0.0),
    minima=(
        (3.0, 2.0),
        (-2.805118, 3.131312),
        (-3.779310, -3.283186),
        (3.584428, -1.848126),
    ),
    formula="(x² + y − 11)² + (x + y² − 7)²",
    steps=300,
    learning_rate=0.01,
)
def himmelblau(x, y):
    """Himmelblau's function: four minima of equal height, so the start decides.

    Example:
        >>> float(himmelblau(3.0, 2.0))
        0.0
    """
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


@_known(
    bounds=((-4.5, 4.5), (-4.5, 4.5)),
    start=(1.0, 1.5),
    minima=((3.0, 0.5),),
    formula="(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
    steps=1000,
    learning_rate=0.03,
)
def beale(x, y):
    """Beale's function: flat plateaus and sharp ridges, minimum at (3, 0.5).

    Example:
        >>> float(beale(3.0, 0.5))
        0.0
    """
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


@_known(
    bounds=((-5.12, 5.12), (-5.12, 5.12)),
    start=(2.2, 2.2),
    minima=((0.0, 0.0),),
    formula="20 + x² − 10 cos 2πx + y² − 10 cos 2πy",
    # The egg crate's walls curve at about 400: a rate of 0.002 settles in the nearest
    # local minimum within a few steps; 0.005 already bounces between its walls.
    steps=100,
    learning_rate=0.002,
)
def rastrigin(x, y):
    """Rastrigin's egg crate: a bowl covered in local minima; the global one is (0, 0).

    Example:
        >>> float(rastrigin(0.0, 0.0))
        0.0
    """
    two_pi = 2 * jnp.pi
    return 20 + x**2 - 10 * jnp.cos(two_pi * x) + y**2 - 10 * jnp.cos(two_pi * y)


def quadratic_bowl(condition: float = 10.0) -> Callable[..., Any]:
    """A bowl ½(x² + c·y²) whose curvatures differ by the condition number ``c``.

    Larger ``c`` makes a narrow valley in which plain gradient descent zig-zags.

    Example:
        >>> bowl = quadratic_bowl(25.0)
        >>> float(bowl(1.0, 1.0)), describe(bowl).minima
        (13.0, ((0.0, 0.0),))
    """
    condition = float(condition)
    if not condition >= 1.0:
        raise ValueError(f"condition must be a number >= 1, not {condition!r}")
    # A rate of 1.5/c: every step overshoots the steep direction by half (the zig-zag)
    # while the shallow one shrinks by 1 - 1.5/c per step, until the gradient, x, is
    # below the tolerance 1e-4 (from x = 1.8); steps with room to spare.
    rate = 1.5 / condition
    needed = math.log(1e-4 / 1.8) / math.log(abs(1.0 - rate)) if rate != 1.0 else 1.0
    steps = max(100, math.ceil(1.5 * needed / 100) * 100)

    @_known(
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 1.2),
        minima=((0.0, 0.0),),
        formula=f"½(x² + {condition:g} y²)",
        steps=steps,
        learning_rate=rate,
    )
    def bowl(x, y):
        return 0.5 * (x**2 + condition * y**2)

    bowl.__name__ = f"quadratic_bowl_{condition:g}"
    return bowl


def gaussian_negloglike(mu, log_sigma, data):
    """Mean negative log likelihood of ``data`` under a Gaussian N(mu, exp(log_sigma)²).

    sigma is optimised as log_sigma so it stays positive whatever step is taken.

    Example:
        >>> import jax.numpy as jnp
        >>> round(float(gaussian_negloglike(0.0, 0.0, jnp.array([0.0]))), 4)
        0.9189
    """
    sigma = jnp.exp(log_sigma)
    z = (data - mu) / sigma
    return jnp.mean(0.5 * z**2 + log_sigma + 0.5 * jnp.log(2 * jnp.pi))


__all__ = [
    "FunctionInfo",
    "beale",
    "describe",
    "gaussian_negloglike",
    "goldfield",
    "himmelblau",
    "line",
    "polynomial",
    "quadratic_bowl",
    "rastrigin",
    "rosenbrock",
]
