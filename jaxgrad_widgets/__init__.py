"""jaxgrad_widgets: see and touch JAX's ``grad``.

Example:
    >>> from jaxgrad_widgets import GradDescentWidget
    >>> from jaxgrad_widgets.functions import goldfield
    >>> GradDescentWidget(goldfield).trajectory.shape
    (1, 301, 2)
"""

from importlib.metadata import PackageNotFoundError, version

from .formula import FormulaError, parse_formula
from .widgets import (
    Companion,
    DerivativeWidget,
    FormulaBox,
    GradDescentWidget,
    Player,
    RaceWidget,
    SurfaceView,
)

try:
    __version__ = version("jaxgrad-widgets")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Companion",
    "DerivativeWidget",
    "FormulaBox",
    "FormulaError",
    "GradDescentWidget",
    "Player",
    "RaceWidget",
    "SurfaceView",
    "__version__",
    "parse_formula",
]
