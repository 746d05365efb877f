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
    named ``(rows, n_frames)`` buffers. A path that grows as it plays. Drawn
    simplified when the track has a tolerance: ``tolerance = [tx, ty]`` (data
    units) or ``simplify`` (a fraction of each buffer's value span); the drawn
    polyline then passes within the tolerance of every point (and within
    ``log_tolerance`` decades of it on a log y axis, when given), and the path is
    only rewritten once the current point has moved ``lag`` tolerances (default 1)
    from where the drawn path ends, so a slow path is not redrawn every frame.
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
    With ``every = k`` and ``length`` (the number of frames), ``f`` is rounded down
    to a multiple of ``k`` except on the last frame: a marker that moves less than
    a pixel per frame is not redrawn on every frame.
``frame``
    writes no ``x``/``y``: sets the target model's own ``frame`` trait to ``f``
    (clamped to ``[0, length - 1]`` when the track has a ``length``), in the
    browser only (no ``save_changes``). For a target that draws its frames itself,
    e.g. :class:`~jaxgrad_widgets.widgets.surface.SurfaceView`:
    ``{"target": i, "kind": "frame"}``. Python's copy of the target's ``frame``
    stays what Python last set; link it to the Player's ``frame`` if it matters.

On the wire, traits the front end reads, so that a new run of the same shape costs
its float32 bytes plus a small header: ``buffer_layout`` (names, shapes and byte
offsets; sent when they change) and ``buffer_data`` (all arrays in one binary
buffer; sent on every load), ``track_layout`` (the tracks with their per-run
numbers, ``length``, ``lengths``, ``low``, ``high``, ``tolerance`` and
``log_tolerance``, replaced by references ``{"$": i}`` or ``{"$": i, "n": k}``
into ``track_values``; sent when the layout changes) and ``track_values`` (those
numbers). ``buffers`` and ``tracks`` hold the same in Python's plain form.

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


def buffer_wire(packed: Mapping[str, Mapping[str, Any]]) -> tuple[list[dict[str, Any]], bytes]:
    """The wire form of packed buffers: a layout (names, shapes, byte offsets) and one blob.

    One binary buffer per update instead of one per array keeps the message header
    small; the layout is only sent again when a name or a shape changes.

    Example:
        >>> layout, data = buffer_wire(pack_buffers({"a": np.zeros((2, 3)), "s": Arange(3)}))
        >>> layout[0], len(data)
        ({'name': 'a', 'shape': [2, 3], 'offset': 0}, 24)
        >>> layout[1]
        {'name': 's', 'shape': [1, 3], 'arange': True}
    """
    layout: list[dict[str, Any]] = []
    chunks: list[bytes | memoryview] = []
    offset = 0
    for name, entry in packed.items():
        shape = [int(d) for d in entry.get("shape", [])]
        if entry.get("arange") is True:
            layout.append({"name": name, "shape": shape, "arange": True})
            continue
        data = memoryview(entry.get("data", b"")).cast("B")
        layout.append({"name": name, "shape": shape, "offset": offset})
        chunks.append(data)
        offset += data.nbytes
    return layout, b"".join(chunks)


#: Track fields whose numbers change from run to run (lengths up to a divergence,
#: the loss range, tolerances in data units): sent as ``track_values``.
VALUE_FIELDS = ("lengths", "tolerance", "length", "low", "high", "log_tolerance")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _json_number(value: Any) -> float | int | None:
    # JSON has no NaN or infinity; the front end reads null as "not given".
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        return None
    if not np.isfinite(number):
        return None
    return int(value) if isinstance(value, (int, np.integer)) else number


def track_wire(tracks: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Split tracks into a layout that rarely changes and the numbers that do.

    Each number (or list of numbers) of a field in :data:`VALUE_FIELDS` becomes a
    reference into one shared list, ``{"$": i}`` or ``{"$": i, "n": count}``. Equal
    lists and numbers share their place, so 16 paths of 1001 frames need one entry.

    Example:
        >>> layout, values = track_wire([{"kind": "points", "lengths": [5, 3]},
        ...                              {"kind": "prefix", "row": 1, "length": 3}])
        >>> layout[0], layout[1]["length"], values
        ({'kind': 'points', 'lengths': {'$': 0, 'n': 2}}, {'$': 1}, [5, 3])
    """
    values: list[Any] = []

    def place(numbers: list[Any]) -> int:
        n = len(numbers)
        for i in range(len(values) - n + 1):
            if values[i : i + n] == numbers:
                return i
        values.extend(numbers)
        return len(values) - n

    layout = [dict(track) for track in tracks]
    # Lists first, so that single numbers can point into them.
    for track in layout:
        for name in VALUE_FIELDS:
            value = track.get(name)
            if isinstance(value, (list, tuple)) and value and all(_is_number(v) for v in value):
                numbers = [_json_number(v) for v in value]
                track[name] = {"$": place(numbers), "n": len(numbers)}
    for track in layout:
        for name in VALUE_FIELDS:
            value = track.get(name)
            if _is_number(value):
                track[name] = {"$": place([_json_number(value)])}
    return layout, values


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
    #: Name -> ``{"shape", "data"}`` (or ``{"shape", "arange": True}``), as
    #: :func:`pack_buffers` makes them. Python's form; the wire form follows it.
    buffers = traitlets.Dict()
    #: The tracks as loaded. Python's form; the wire form follows it.
    tracks = traitlets.List(traitlets.Dict())
    buffer_layout = traitlets.List(traitlets.Dict()).tag(sync=True)
    buffer_data = traitlets.Bytes(b"").tag(sync=True)
    track_layout = traitlets.List(traitlets.Dict()).tag(sync=True)
    track_values = traitlets.List().tag(sync=True)
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

    @traitlets.observe("n_frames")
    def _frame_within_frames(self, change: dict[str, Any]) -> None:
        # Fewer frames (from Python or the browser) must not leave the frame past the end.
        if self.frame > change["new"] - 1:
            self.frame = change["new"] - 1

    @traitlets.observe("buffers")
    def _wire_buffers(self, change: dict[str, Any]) -> None:
        layout, data = buffer_wire(change["new"])
        with self.hold_sync():
            self.buffer_layout = layout
            self.buffer_data = data

    @traitlets.observe("tracks")
    def _wire_tracks(self, change: dict[str, Any]) -> None:
        layout, values = track_wire(change["new"])
        with self.hold_sync():
            self.track_layout = layout
            self.track_values = values

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
