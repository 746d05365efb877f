"""The widgets: thin ipywidgets/bqplot compositions over the engine.

Example:
    >>> from jaxgrad_widgets.widgets import GradDescentWidget
    >>> GradDescentWidget.__name__
    'GradDescentWidget'
"""

from .derivative import DerivativeWidget
from .grad_descent import GradDescentWidget
from .player import Player
from .surface import SurfaceView

__all__ = ["DerivativeWidget", "GradDescentWidget", "Player", "SurfaceView"]
