"""The stage: the Player and the panels it plays.

Every panel names its marks (the Player's targets), its buffers and its values in its
own terms; the stage gives each panel its range of targets and prefixes its names
with the panel's name (``map.px``, ``loss.lengths``), so panels never collide, and
turns a run into one Player load. For the learning-rate family it does the same for
every member, keeping the panels that join the family.

Example:
    >>> from jaxgrad_widgets.engine import Objective, trajectories
    >>> from jaxgrad_widgets.widgets.panels import LossPanel, RunView
    >>> loss = LossPanel()
    >>> stage = Stage([loss])
    >>> run = trajectories(Objective(lambda x: x**2), "sgd", [[1.0]], 20, {"learning_rate": 0.1})
    >>> stage.load(RunView.of(run), [loss], key=0)
    >>> sorted(stage.player.buffers), stage.player.track_values["loss.lengths"], stage.loads
    (['loss.steps', 'loss.y'], [21], 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import ipywidgets
import numpy as np

from .looks import layout
from .panels.marks import Frames
from .panels.view import RunView
from .player import Player

#: Track fields that name buffers.
BUFFER_FIELDS = ("x", "y", "x0", "y0", "x1", "y1", "x_static", "angle", "first", "second")


class Panel(Protocol):
    """One view of a run: its marks, how a run becomes its frames, and what follows.

    A panel with ``lazy = True`` makes its marks when it first draws: they join the
    Player's targets then (a view nobody looks at costs nothing in the browser).
    """

    name: str
    #: Whether its frames join the learning-rate family (computed ahead for the browser).
    family: bool

    def player_marks(self) -> list[ipywidgets.Widget]: ...

    def frames(self, view: RunView) -> Frames: ...

    def show(self, view: RunView, frames: Frames) -> None: ...


def _named(panel: str, value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$"}:
        return {"$": f"{panel}.{value['$']}"}
    return value


class Stage:
    """Owns the Player; one load per run, namespaced per panel.

    Attributes:
        player: the :class:`~jaxgrad_widgets.widgets.player.Player`.
        loads: how many runs were loaded (one per input change).
    """

    def __init__(self, panels: Sequence[Panel]) -> None:
        self.panels = list(panels)
        self._targets: list[ipywidgets.Widget] = []
        self._offsets: dict[str, int] = {}
        for panel in self.panels:
            if not getattr(panel, "lazy", False):
                self._join(panel)
        self.player = Player(targets=list(self._targets), layout=layout())
        self.loads = 0

    def _join(self, panel: Panel) -> None:
        """The panel's marks become Player targets, after those of the panels before."""
        self._offsets[panel.name] = len(self._targets)
        self._targets += panel.player_marks()

    def _namespaced(self, panel: Panel, frames: Frames) -> Frames:
        if panel.name not in self._offsets:
            # A lazy panel's marks join when it first draws (made by player_marks()).
            self._join(panel)
            self.player.targets = list(self._targets)
        name, offset = panel.name, self._offsets[panel.name]
        buffers = {f"{name}.{key}": value for key, value in frames.buffers.items()}
        tracks = []
        for track in frames.tracks:
            out = {key: _named(name, value) for key, value in track.items()}
            for key in BUFFER_FIELDS:
                if isinstance(out.get(key), str):
                    out[key] = f"{name}.{out[key]}"
            out["target"] = track["target"] + offset
            tracks.append(out)
        values = {f"{name}.{key}": value for key, value in frames.values.items()}
        return Frames(buffers, tracks, values)

    def load(
        self,
        view: RunView,
        active: Sequence[Panel],
        *,
        key: int,
        value: float | None = None,
    ) -> None:
        """Hand the Player the run as the ``active`` panels draw it; then let them follow.

        ``key`` names the combination of inputs (a family with the same key belongs to
        this run); ``value`` is the learning rate the run was computed at.
        """
        parts = [(panel, panel.frames(view)) for panel in active]
        buffers: dict[str, Any] = {}
        tracks: list[dict[str, Any]] = []
        values: dict[str, Any] = {}
        for panel, frames in parts:
            named = self._namespaced(panel, frames)
            buffers.update(named.buffers)
            tracks += named.tracks
            values.update(named.values)
        # The Player's message first: the paths redraw from it alone.
        self.player.load(view.frames, buffers, tracks, values, key=key, value=value)
        self.loads += 1
        for panel, frames in parts:
            panel.show(view, frames)

    def member_bytes(self, panels: Sequence[Panel]) -> int:
        """The float32 bytes of the run the Player holds for ``panels``: what one member
        of a family of those panels costs on the wire."""
        prefixes = tuple(f"{panel.name}." for panel in panels)
        return sum(len(entry["data"]) for name, entry in self.player.buffers.items()
                   if name.startswith(prefixes) and "data" in entry)  # fmt: skip

    def load_family(
        self,
        control: ipywidgets.Widget,
        members: Sequence[tuple[float, RunView]],
        active: Sequence[Panel],
        *,
        key: int,
    ) -> None:
        """Hand the browser the run at each member's value of ``control`` (the panels of
        ``active`` that join families), so that moving ``control`` there needs no kernel."""
        panels = [panel for panel in active if panel.family]
        stacked: dict[str, list[np.ndarray]] = {}
        member_values = []
        for _, view in members:
            values: dict[str, Any] = {}
            for panel in panels:
                named = self._namespaced(panel, panel.frames(view))
                for name, array in named.buffers.items():
                    if isinstance(array, np.ndarray):  # an Arange is the run's for every member
                        stacked.setdefault(name, []).append(array)
                values.update(named.values)
            member_values.append(values)
        buffers = {name: np.stack(arrays) for name, arrays in stacked.items()}
        self.player.load_family(control, [v for v, _ in members], buffers, member_values, key)
