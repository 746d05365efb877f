"""The widgets: thin ipywidgets/bqplot compositions over the engine.

Example:
    >>> from jaxgrad_widgets.widgets import GradDescentWidget
    >>> GradDescentWidget.__name__
    'GradDescentWidget'
"""

from .companion import Companion
from .derivative import DerivativeWidget
from .formula_box import FormulaBox
from .grad_descent import GradDescentWidget
from .player import Player
from .race import RaceWidget
from .surface import SurfaceView

__all__ = [
    "Companion",
    "DerivativeWidget",
    "FormulaBox",
    "GradDescentWidget",
    "Player",
    "RaceWidget",
    "SurfaceView",
]
