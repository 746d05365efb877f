"""The dashboard's panels: one view each, in a module of its own.

A panel makes its figure and marks, names the marks the Player writes
(``player_marks``), turns a run into Player frames (``frames``) and follows a load in
Python (``show``). The stage (:mod:`..stage`) namespaces and loads them.

Example:
    >>> from jaxgrad_widgets.widgets.panels import LossPanel
    >>> LossPanel().name
    'loss'
"""

from .basins import BasinsLayer
from .companion import CompanionPanel
from .controls import VIEWS, ControlsPanel
from .curve import CURVE_POINTS, CurvePanel
from .loss import LossPanel
from .map import MapPanel
from .map_notes import MapNotes
from .marks import Frames
from .status import StatusPanel
from .surface import SurfacePanel
from .sweep import SweepPanel
from .view import RunView

__all__ = [
    "CURVE_POINTS",
    "VIEWS",
    "BasinsLayer",
    "CompanionPanel",
    "ControlsPanel",
    "CurvePanel",
    "Frames",
    "LossPanel",
    "MapNotes",
    "MapPanel",
    "RunView",
    "StatusPanel",
    "SurfacePanel",
    "SweepPanel",
]
