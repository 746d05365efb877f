"""The surface panel: the map's heights as a 3-D surface, the paths drawn on it.

The :class:`~jaxgrad_widgets.widgets.surface.SurfaceView` draws its frames itself;
the Player moves it with a ``frame`` track. The view is made the first time it is
needed (its front end, three.js, is about 600 KB: it reaches only the browsers that
show the surface); its landscape is sent when the map's grid changed and it is shown,
its paths with every run while it is shown: a hidden surface costs no message.

Example:
    >>> p = SurfacePanel(("x", "y"))
    >>> p.made, [type(m).__name__ for m in p.player_marks()], p.made
    (False, ['SurfaceView'], True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...engine import Grid
from ..looks import layout
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
    #: Its view joins the Player's targets when it first draws (see the stage).
    lazy = True

    def __init__(self, labels: Sequence[str],
                 on_made: Callable[[SurfaceView], None] | None = None) -> None:  # fmt: skip
        self._labels = [*labels, "loss"]
        self._view: SurfaceView | None = None
        self._on_made = on_made
        self._grid: Grid | None = None
        self._stale = True

    @property
    def view(self) -> SurfaceView:
        """The 3-D view, made on first use (``on_made`` hears of it)."""
        if self._view is None:
            self._view = SurfaceView(labels=self._labels, layout=layout())
            self._stale = True
            if self._on_made is not None:
                self._on_made(self._view)
        return self._view

    @property
    def made(self) -> bool:
        """Whether the view exists (someone showed or asked for the surface)."""
        return self._view is not None

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
