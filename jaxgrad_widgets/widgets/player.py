"""The Player: playback of precomputed frames, entirely in the browser.

Python computes every frame of an animation once per input change and hands the
Player a set of float32 *buffers* plus a list of *tracks* that say how frame ``f``
maps onto the ``x``/``y`` of a bqplot mark. The front end (``js/animator.ts``,
``js/transport.ts``) writes those slices into the marks' browser models on each
animation frame, so play, pause, step, scrub and speed cost no kernel messages.
The frame index is sent back to Python when playback stops or the user scrubs.

Track kinds (all indices are clamped to ``[0, length - 1]`` of their row, where a
row's ``length`` is its number of valid frames, e.g. up to a divergence; a buffer
with a single row is shared by every row; an :class:`Arange` buffer is 0, 1, 2, ...
made in the browser):

``prefix``
    ``x``/``y`` = the first ``min(f, length-1) + 1`` values of row ``row`` of the
    named ``(rows, n_frames)`` buffers. A path that grows as it plays. With
    ``simplify`` (a fraction of the data range), points closer than that to the
    last drawn one are skipped.
``points``
    one point per row: ``x[j] = xbuf[j, min(f, lengths[j] - 1)]``. Current markers.
``window``
    ``x``/``y`` = ``buf[f]`` of a ``(n_frames, width)`` buffer: a precomputed
    curve per frame (a density, a tangent line). A buffer named in ``x_static``
    instead of ``x`` gives one ``x`` shared by all frames.
``arrows``
    one arrow per row from ``(x0, y0)`` to ``(x1, y1)`` at the row's frame, drawn as
    NaN-separated segments with a small head (no NaN at the end).
``vline``
    ``x = [f, f]``, ``y = [low, high]``: the current-frame marker on a loss plot.
``frame``
    writes no ``x``/``y``: sets the target model's own ``frame`` trait to ``f``
    (clamped to ``[0, length - 1]`` when the track has a ``length``), in the
    browser only (no ``save_changes``). For a target that draws its frames itself,
    e.g. :class:`~jaxgrad_widgets.widgets.surface.SurfaceView`:
    ``{"target": i, "kind": "frame"}``. Python's copy of the target's ``frame``
    stays what Python last set; link it to the Player's ``frame`` if it matters.

Example:
    >>> import numpy as np, bqplot
    >>> from jaxgrad_widgets.widgets.player import Player, pack_buffers
    >>> scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
    >>> path = bqplot.Lines(x=[0.0], y=[0.0], scales=scales)
    >>> p = Player(targets=[path])
    >>> xs = np.linspace(0, 1, 5, dtype=np.float32)[None, :]
    >>> p.load(n_frames=5, buffers={"px": xs, "py": xs ** 2},
    ...        tracks=[{"target": 0, "kind": "prefix", "x": "px", "y": "py", "row": 0}])
    >>> p.n_frames, p.frame
    (5, 4)
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anywidget
import ipywidgets
import numpy as np
import traitlets

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"

#: The speeds (frames per second) the transport bar offers, and the default.
SPEED_RANGE = (1.0, 2000.0)
DEFAULT_SPEED = 60.0


def bundle(name: str) -> str:
    """The built front end ``static/NAME`` as text (built by ``npm run build``).

    Example:
        >>> len(bundle("widget.js")) > 1000
        True
    """
    path = STATIC / name
    if not path.exists():
        raise ImportError(
            f"the front end {path} is missing: build it with `npm run build` (or `make js`)"
        )
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Arange:
    """A buffer 0, 1, ..., length - 1 (step numbers) that the browser makes itself.

    Example:
        >>> pack_buffers({"steps": Arange(3)})["steps"]
        {'shape': [1, 3], 'arange': True}
    """

    length: int


def pack_buffers(buffers: Mapping[str, np.ndarray | Arange]) -> dict[str, dict[str, Any]]:
    """Turn named arrays into the Player's wire format: float32 bytes plus shape.

    Example:
        >>> import numpy as np
        >>> packed = pack_buffers({"a": np.zeros((2, 3))})
        >>> packed["a"]["shape"], len(packed["a"]["data"])
        ([2, 3], 24)
    """
    packed: dict[str, dict[str, Any]] = {}
    for name, array in buffers.items():
        if isinstance(array, Arange):
            packed[name] = {"shape": [1, int(array.length)], "arange": True}
            continue
        array = np.ascontiguousarray(array, dtype="<f4")
        packed[name] = {"shape": list(array.shape), "data": memoryview(array.tobytes())}
    return packed


class Player(anywidget.AnyWidget):
    """Plays frame-indexed tracks into bqplot marks in the browser.

    Its view is the transport bar: play/pause, step back, step, reset, speed and a
    scrubber, plus a frame readout. Space plays and pauses, the arrow keys step.

    Example:
        >>> p = Player()
        >>> p.playing, p.frame, p.n_frames
        (False, 0, 1)
    """

    # The bundle's text, not its path: a path makes anywidget watch the file and keep
    # every instance (and its whole dashboard) alive for good.
    _esm = bundle("widget.js")

    targets = traitlets.List(traitlets.Instance(ipywidgets.Widget)).tag(
        sync=True, **ipywidgets.widget_serialization
    )
    buffers = traitlets.Dict().tag(sync=True)
    tracks = traitlets.List(traitlets.Dict()).tag(sync=True)
    n_frames = traitlets.Int(1).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    speed = traitlets.Float(DEFAULT_SPEED).tag(sync=True)
    loop = traitlets.Bool(False).tag(sync=True)
    #: Bumped on every load, so the front end can tell fresh data from an echo.
    revision = traitlets.Int(0).tag(sync=True)
    #: A short text shown in the transport bar, e.g. "step" or "epoch".
    frame_label = traitlets.Unicode("step").tag(sync=True)

    @traitlets.validate("frame")
    def _clamp_frame(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        return int(min(max(int(value), 0), max(self.n_frames - 1, 0)))

    @traitlets.validate("n_frames")
    def _positive_frames(self, proposal: dict[str, Any]) -> int:
        return max(int(proposal["value"]), 1)

    @traitlets.validate("speed")
    def _clamp_speed(self, proposal: dict[str, Any]) -> float:
        try:
            value = float(proposal["value"])
        except (TypeError, ValueError, OverflowError):
            value = float("nan")
        if not np.isfinite(value):
            return DEFAULT_SPEED  # not self.speed: under set_state it may already be NaN
        return float(min(max(value, SPEED_RANGE[0]), SPEED_RANGE[1]))

    def load(
        self,
        n_frames: int,
        buffers: Mapping[str, np.ndarray | Arange],
        tracks: Sequence[Mapping[str, Any]],
        frame: int | None = None,
    ) -> None:
        """Replace all buffers and tracks in one message.

        ``frame`` defaults to the last frame (the whole path is shown) unless the
        user had stopped playback somewhere in the middle, where it stays.
        """
        at_end = self.frame >= self.n_frames - 1
        with self.hold_sync():
            self.n_frames = int(n_frames)
            self.buffers = pack_buffers(buffers)
            self.tracks = [dict(t) for t in tracks]
            if frame is not None:
                self.frame = frame
            elif at_end:
                self.frame = self.n_frames - 1
            else:
                self.frame = min(self.frame, self.n_frames - 1)
            self.revision += 1

    def play(self) -> None:
        """Start playback (from the beginning when at the end).

        Example:
            >>> p = Player(); p.play(); p.playing
            True
        """
        if self.frame >= self.n_frames - 1:
            self.frame = 0
        self.playing = True

    def pause(self) -> None:
        """Stop playback where it is."""
        self.playing = False
