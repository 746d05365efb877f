"""The surface panel: the map's heights as a 3-D surface, the paths drawn on it.

The :class:`~jaxgrad_widgets.widgets.surface.SurfaceView` draws its frames itself;
the Player moves it with a ``frame`` track. Its landscape is sent when the map's
grid changed and it is shown, its paths with every run while it is shown: a hidden
surface costs no message.

Example:
    >>> p = SurfacePanel(("x", "y"))
    >>> [type(m).__name__ for m in p.player_marks()]
    ['SurfaceView']
"""

from __future__ import annotations

from collections.abc import Sequence

from ...engine import Grid
from ..surface import SurfaceView
from .marks import Frames
from .view import RunView


class SurfacePanel:
    """The 3-D surface and its paths, shown in the 'surface' and 'both' views.

    Example:
        >>> SurfacePanel(("a", "b")).view.labels
        ['a', 'b', 'loss']
    """

    name = "surface"
    #: Not in the learning-rate family: its paths come with the run, from the kernel.
    family = False

    def __init__(self, labels: Sequence[str]) -> None:
        self.view = SurfaceView(labels=[*labels, "loss"])
        self._grid: Grid | None = None
        self._stale = True

    def player_marks(self) -> list[SurfaceView]:
        return [self.view]

    def set_grid(self, grid: Grid, labels: Sequence[str]) -> None:
        """The map's heights changed: the surface takes them when next shown."""
        self._grid = grid
        self._labels = [*labels, "loss"]
        self._stale = True

    def frames(self, view: RunView) -> Frames:
        """A ``frame`` track: the surface draws each frame itself."""
        return Frames({}, [{"target": 0, "kind": "frame"}])

    def show(self, view: RunView, frames: Frames) -> None:
        """After a load: the landscape (when it changed) and the run's paths."""
        if self._stale and self._grid is not None:
            grid = self._grid
            self.view.labels = self._labels
            self.view.set_landscape(grid.xs, grid.ys, grid.values)
            self._stale = False
        dx, dy = view.dims
        self.view.set_paths(view.run.params[:, :, [dx, dy]], view.run.loss, view.lengths)
