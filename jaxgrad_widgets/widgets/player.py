"""The Player: playback of precomputed frames, entirely in the browser.

Python computes every frame of an animation once per input change and hands the
Player a set of float32 *buffers*, a list of *tracks* that say how frame ``f``
maps onto the ``x``/``y`` of a bqplot mark, and the run's *values* (numbers the
tracks refer to by name). The front end (``js/animator.ts``, ``js/tracks.ts``,
``js/transport.ts``) writes those slices into the marks' browser models on each
animation frame, so play, pause, step, scrub and speed cost no kernel messages.
The frame index is sent back to Python when playback stops or the user scrubs.

Buffers
    Named float32 arrays of any rank; a buffer's *rows* are its first axis and its
    *columns* everything after it (a 1-D buffer is one row). A buffer with a single
    row serves every row (broadcast); an :class:`Arange` buffer is 0, 1, 2, ... made
    in the browser.

Values and slots
    Any number or list of numbers in a track may be written as a slot reference
    ``{"$": "name"}`` (see :func:`slot`): it stands for ``values["name"]`` of the run
    shown. Numbers that change from run to run (lengths up to a divergence, the loss
    range) go into slots, so that a new run of the same shape costs its float32 bytes,
    its values and a small header; the track layout is only sent when it changes. A
    reference to a missing slot, or to ``None``, counts as an absent field.

Track kinds (all indices are clamped to ``[0, length - 1]`` of their row, where a
row's ``length`` is its number of valid frames, e.g. up to a divergence):

``lines``
    one line per row of the ``(rows, n_frames)`` buffers ``x`` and ``y``, written to a
    bqplot ``Lines`` mark as a list of arrays (one mark, every start, each in its
    colour from the mark's ``colors``): line ``r`` holds the first
    ``min(f, lengths[r] - 1) + 1`` values of row ``r``. ``rows`` limits the rows
    drawn; ``whole`` draws every valid frame whatever ``f`` (a loss curve shown
    whole). Drawn simplified when the track has a ``tolerance = [tx, ty]`` (data
    units): the polyline passes within the tolerance of every point, and during
    playback a line is only rewritten once its current point has moved ``lag``
    tolerances (default 1) from where the drawn line ends. A row with no finite
    point yet is written as a single point (which draws nothing), never as an
    empty line.
``windows``
    one line per row: ``y`` is a ``(rows, n_frames, width)`` buffer of precomputed
    curves, ``x_static`` a ``(width,)`` buffer of their shared ``x``; line ``r`` at
    frame ``f`` is ``y[r, min(f, lengths[r] - 1)]`` (a model curve over data).
``points``
    one point per row: ``x[j] = xbuf[j, min(f, lengths[j] - 1)]``. Current markers.
``arrows``
    one arrow per row from ``(x0, y0)`` to ``(x1, y1)`` at the row's frame, drawn as
    NaN-separated segments with a small head (``head``, a fraction of the arrow's
    length; no NaN at the end).
``axes``
    a cross per row centred on ``(x, y)`` at the row's frame: the axis along ``angle``
    (radians) with signed half-length ``first`` and the perpendicular one with
    ``second``, each drawn as a NaN-separated segment only when its half-length has
    the track's ``sign`` (1: positive or zero, -1: negative). The Hessian's axes at
    the current points, one mark per sign.
``vline``
    ``x = [f, f]``, ``y = [low, high]``: the current-frame marker on a loss plot.
    With ``every = k`` and ``length`` (the number of frames), ``f`` is rounded down
    to a multiple of ``k`` except on the last frame: a marker that moves less than
    a pixel per frame is not redrawn on every frame.
``frame``
    writes no ``x``/``y``: sets the target model's own ``frame`` trait to ``f``
    (clamped to ``[0, length - 1]`` when the track has a ``length``), in the
    browser only. For a target that draws its frames itself, e.g.
    :class:`~jaxgrad_widgets.widgets.surface.SurfaceView`.
``prefix`` and ``window``
    the one-row forms of ``lines`` and ``windows`` (``row`` and ``length`` instead of
    ``rows`` and ``lengths``), writing one line.

Families
    A *family* is the same run at other values of one control (the learning-rate
    slider's neighbouring positions), so that moving that control needs no kernel
    round trip. ``family_control`` is the control widget; member ``m`` was computed
    at ``family_values[m]``. Each entry of the family's buffers has shape
    ``(members, *shape)`` and member ``m`` of it stands in for the run's buffer of
    the same name; ``family_track_values[m]`` overrides the run's values. The
    family belongs to the run when ``family_key == run_key`` (Python gives every
    combination of the other inputs its own key).

    The browser chooses what to show whenever the control's value changes (in the key
    press that moves it, before anything reaches the kernel) and whenever the run or
    the family changes: the run when the control's value is ``run_value`` (the value
    the control shows for the run, within a relative 1e-9), else the member whose
    value it is, else the run (an answer from the kernel is on its way). Moving
    between them keeps the frame. The transport bar says which it shows:
    ``data-member`` (-1 for the run) and ``data-family-size``.

Rasters
    One picture of ``height`` x ``width`` cells, each a small integer *code*, painted
    by the browser into a bqplot ``Image`` mark (e.g. the map's basins of attraction):
    Python sends 1 byte per cell plus a palette, never one SVG element per cell.
    ``raster_target`` is the ``Image`` mark; ``raster_codes`` the codes as uint8,
    row-major, row 0 the *lowest* y (grid orientation: ``codes[i, j]`` is the cell at
    ``(xs[j], ys[i])``); ``raster_palette`` 4 bytes (RGBA) per code;
    ``raster_layout`` ``{"width", "height", "colors", "revision"}`` (``colors``: the
    palette's entries; ``revision`` bumped on every change). The browser paints code
    ``c`` in ``palette[c]``, flipping the rows (an image's first row is its top),
    hands the picture to the mark as a PNG data URL (format ``url`` of the mark's
    ``image`` model, in the browser only) and shows the mark. Empty codes (width and
    height 0) hide the mark. See :meth:`Player.show_raster` and
    :meth:`Player.clear_raster` (``js/raster.ts``); the example below ends with one.

On the wire, so that a new run of the same shape costs little more than its bytes:
``buffer_layout`` (names, shapes and byte offsets; sent when they change) and
``buffer_data`` (all arrays in one binary buffer), ``track_layout`` (the tracks,
with slot references; sent when it changes) and ``track_values`` (the run's
values), ``run_key`` and ``run_value``; for the family ``family_layout`` and
``family_data``, ``family_track_values``, ``family_values``, ``family_key`` and
``family_control``. ``buffers`` and ``tracks`` hold the run's buffers and tracks
in Python's plain form.

Example:
    >>> import numpy as np, bqplot
    >>> from jaxgrad_widgets.widgets.player import Player, slot
    >>> scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
    >>> paths = bqplot.Lines(x=[0.0], y=[0.0], scales=scales)
    >>> p = Player(targets=[paths])
    >>> xs = np.linspace(0, 1, 5, dtype=np.float32)[None, :]
    >>> p.load(n_frames=5, buffers={"px": xs, "py": xs ** 2},
    ...        tracks=[{"target": 0, "kind": "lines", "x": "px", "y": "py",
    ...                 "lengths": slot("lengths")}],
    ...        values={"lengths": [5]})
    >>> p.n_frames, p.frame, p.track_values
    (5, 4, {'lengths': [5]})

    A raster of 2 rows and 3 columns, two codes (0 clear, 1 translucent red):

    >>> import ipywidgets
    >>> image = bqplot.Image(image=ipywidgets.Image(format="url", value=b""), scales=scales)
    >>> codes = np.array([[0, 1, 1], [1, 1, 0]], dtype=np.uint8)
    >>> palette = np.array([[0, 0, 0, 0], [255, 0, 0, 153]], dtype=np.uint8)
    >>> p.show_raster(image, codes, palette)
    >>> p.raster_layout["width"], p.raster_layout["height"], len(p.raster_codes)
    (3, 2, 6)
    >>> p.clear_raster(); p.raster_codes, p.raster_layout["width"]
    (b'', 0)
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anywidget
import bqplot
import ipywidgets
import numpy as np
import traitlets

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"

#: The largest raster side (cells) and palette (codes) :meth:`Player.show_raster` takes.
RASTER_MAX_SIDE = 512
RASTER_MAX_CODES = 256

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


def slot(name: str) -> dict[str, str]:
    """A reference to the run's value ``name``, for a number (or list) in a track.

    Example:
        >>> slot("lengths")
        {'$': 'lengths'}
    """
    return {"$": name}


def _json_number(value: Any) -> float | int | None:
    # JSON has no NaN or infinity; the front end reads null as "not given".
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # not a number, or an int beyond floats
        return None
    if not np.isfinite(number):
        return None
    return int(value) if isinstance(value, (int, np.integer)) else number


def json_values(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """A run's values as JSON: numbers, lists of numbers, non-finite ones as None.

    Example:
        >>> json_values({"low": np.float32(0.5), "lengths": np.array([3, 5]),
        ...              "high": float("inf")})
        {'low': 0.5, 'lengths': [3, 5], 'high': None}
    """
    out: dict[str, Any] = {}
    for name, value in (values or {}).items():
        if isinstance(value, np.ndarray | list | tuple):
            out[str(name)] = [_json_number(v) for v in np.asarray(value).reshape(-1).tolist()]
        else:
            out[str(name)] = _json_number(value)
    return out


def unpack_wire(layout: Sequence[Mapping[str, Any]], data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a packed layout and blob (the inverse of :func:`buffer_wire`).

    Example:
        >>> layout, data = buffer_wire(pack_buffers({"a": np.ones((2, 2)), "s": Arange(3)}))
        >>> {name: a.tolist() for name, a in unpack_wire(layout, data).items()}
        {'a': [[1.0, 1.0], [1.0, 1.0]], 's': [[0.0, 1.0, 2.0]]}
    """
    out: dict[str, np.ndarray] = {}
    for entry in layout:
        shape = tuple(int(d) for d in entry["shape"])
        if entry.get("arange"):
            out[entry["name"]] = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
            continue
        size = int(np.prod(shape))
        array = np.frombuffer(data, dtype="<f4", count=size, offset=int(entry["offset"]))
        out[entry["name"]] = array.reshape(shape)
    return out


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
    #: The tracks as loaded, with their slot references. Python's form.
    tracks = traitlets.List(traitlets.Dict())
    buffer_layout = traitlets.List(traitlets.Dict()).tag(sync=True)
    buffer_data = traitlets.Bytes(b"").tag(sync=True)
    track_layout = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: The run's values, by slot name (see :func:`slot`).
    track_values = traitlets.Dict().tag(sync=True)
    #: Which combination of inputs the run is for: a family applies when its key is this.
    run_key = traitlets.Int(0).tag(sync=True)
    #: The family control's value that shows the run (None: no family control): a
    #: slider's position for the run's value.
    run_value = traitlets.Float(None, allow_none=True).tag(sync=True)
    family_control = traitlets.Instance(ipywidgets.Widget, allow_none=True).tag(
        sync=True, **ipywidgets.widget_serialization
    )
    family_values = traitlets.List(traitlets.Float()).tag(sync=True)
    family_layout = traitlets.List(traitlets.Dict()).tag(sync=True)
    family_data = traitlets.Bytes(b"").tag(sync=True)
    family_track_values = traitlets.List(traitlets.Dict()).tag(sync=True)
    family_key = traitlets.Int(-1).tag(sync=True)
    n_frames = traitlets.Int(1).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    speed = traitlets.Float(DEFAULT_SPEED).tag(sync=True)
    loop = traitlets.Bool(False).tag(sync=True)
    #: Bumped on every load, so the front end can tell fresh data from an echo.
    revision = traitlets.Int(0).tag(sync=True)
    #: A short text shown in the transport bar, e.g. "step" or "epoch".
    frame_label = traitlets.Unicode("step").tag(sync=True)
    #: The raster (see "Rasters" above): the Image mark it is painted into, its
    #: size, its codes (uint8, row 0 the lowest y) and its RGBA palette.
    raster_target = traitlets.Instance(bqplot.Image, allow_none=True).tag(
        sync=True, **ipywidgets.widget_serialization
    )
    raster_layout = traitlets.Dict().tag(sync=True)
    raster_codes = traitlets.Bytes(b"").tag(sync=True)
    raster_palette = traitlets.Bytes(b"").tag(sync=True)

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
        self.track_layout = [dict(track) for track in change["new"]]

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
        values: Mapping[str, Any] | None = None,
        frame: int | None = None,
        *,
        key: int | None = None,
        value: float | None = None,
    ) -> None:
        """Replace the run (buffers, tracks, values) in one message.

        ``frame`` defaults to the last frame (the whole path is shown) unless the
        user had stopped playback somewhere in the middle, where it stays. ``key``
        names the combination of inputs the run is for (a family with the same key
        belongs to it); ``value`` is the family control's value for this run.
        """
        at_end = self.frame >= self.n_frames - 1
        with self.hold_sync():
            self.n_frames = int(n_frames)
            self.buffers = pack_buffers(buffers)
            self.tracks = [dict(t) for t in tracks]
            self.track_values = json_values(values)
            if key is not None:
                self.run_key = int(key)
            self.run_value = None if value is None else float(value)
            if frame is not None:
                self.frame = frame
            elif at_end:
                self.frame = self.n_frames - 1
            else:
                self.frame = min(self.frame, self.n_frames - 1)
            self.revision += 1

    def load_family(
        self,
        control: ipywidgets.Widget,
        values: Sequence[float],
        buffers: Mapping[str, np.ndarray],
        member_values: Sequence[Mapping[str, Any]],
        key: int,
    ) -> None:
        """Hand the browser a family: the run at each of ``values`` of ``control``.

        Each buffer has shape ``(members, ...)``: member ``m`` of it stands in for
        the run's buffer of that name while the control is at ``values[m]``.

        Example:
            >>> import numpy as np, ipywidgets
            >>> p, slider = Player(), ipywidgets.FloatSlider()
            >>> p.load_family(slider, [0.1, 0.2], {"px": np.zeros((2, 1, 5))},
            ...               [{"lengths": [5]}, {"lengths": [3]}], key=0)
            >>> p.family_values, p.family_layout[0]["shape"]
            ([0.1, 0.2], [2, 1, 5])
        """
        members = len(values)
        for name, array in buffers.items():
            if np.shape(array)[:1] != (members,):
                raise ValueError(f"family buffer {name!r} must have {members} members first")
        if len(member_values) != members:
            raise ValueError(f"give the values of each of the {members} members")
        layout, data = buffer_wire(pack_buffers(buffers))
        with self.hold_sync():
            self.family_control = control
            self.family_layout = layout
            self.family_data = data
            self.family_track_values = [json_values(v) for v in member_values]
            self.family_values = [float(v) for v in values]
            self.family_key = int(key)

    def clear_family(self) -> None:
        """Drop the family (the browser then shows the run only)."""
        if not self.family_values and not self.family_data:
            return
        with self.hold_sync():
            self.family_values = []
            self.family_layout = []
            self.family_data = b""
            self.family_track_values = []
            self.family_key = -1

    def show_raster(self, target: bqplot.Image, codes: np.ndarray, palette: np.ndarray) -> None:
        """Paint ``codes`` in the colours of ``palette`` into the Image mark ``target``.

        ``codes`` is a 2-D uint8 array of 1 to 512 cells per side, ``codes[i, j]`` the
        cell in column ``j`` of row ``i``, row 0 at the lowest y; ``palette`` a
        ``(k, 4)`` uint8 array of RGBA colours, ``k <= 256``, with an entry for every
        code. One message: 1 byte per cell plus the palette.

        Example:
            >>> import bqplot, ipywidgets
            >>> image = bqplot.Image(image=ipywidgets.Image(format="url", value=b""))
            >>> p = Player()
            >>> p.show_raster(image, np.zeros((4, 4), np.uint8), np.zeros((1, 4), np.uint8))
            >>> len(p.raster_codes), len(p.raster_palette), p.raster_layout["colors"]
            (16, 4, 1)
            >>> p.show_raster(image, np.full((2, 2), 3, np.uint8), np.zeros((3, 4), np.uint8))
            Traceback (most recent call last):
            ...
            ValueError: code 3 has no colour: the palette has 3 entries
        """
        if not isinstance(target, bqplot.Image):
            raise TypeError(f"a raster is painted into a bqplot.Image, not {type(target).__name__}")
        codes = np.asarray(codes)
        palette = np.asarray(palette)
        if codes.dtype != np.uint8:
            raise TypeError(f"raster codes must be uint8 (1 byte per cell), not {codes.dtype}")
        if codes.ndim != 2 or not all(1 <= n <= RASTER_MAX_SIDE for n in codes.shape):
            raise ValueError(
                f"raster codes must be 2-D with 1 to {RASTER_MAX_SIDE} cells per side, "
                f"not shape {codes.shape}"
            )
        if palette.dtype != np.uint8:
            raise TypeError(f"a raster palette must be uint8 RGBA, not {palette.dtype}")
        if palette.ndim != 2 or palette.shape[1] != 4 or not 1 <= len(palette) <= RASTER_MAX_CODES:
            raise ValueError(
                f"a raster palette must have shape (k, 4) with 1 <= k <= {RASTER_MAX_CODES}, "
                f"not {palette.shape}"
            )
        highest = int(codes.max())
        if highest >= len(palette):
            raise ValueError(
                f"code {highest} has no colour: the palette has {len(palette)} entries"
            )
        height, width = codes.shape
        revision = int(self.raster_layout.get("revision", 0)) + 1
        with self.hold_sync():
            self.raster_target = target
            self.raster_codes = np.ascontiguousarray(codes).tobytes()
            self.raster_palette = np.ascontiguousarray(palette).tobytes()
            self.raster_layout = {
                "width": int(width),
                "height": int(height),
                "colors": len(palette),
                "revision": revision,
            }

    def clear_raster(self) -> None:
        """Hide the raster (its target mark stays named, so the browser can hide it).

        Example:
            >>> p = Player(); p.clear_raster(); p.raster_codes, p.raster_layout
            (b'', {})
        """
        if not self.raster_codes:
            return
        revision = int(self.raster_layout.get("revision", 0)) + 1
        with self.hold_sync():
            self.raster_codes = b""
            self.raster_palette = b""
            self.raster_layout = {"width": 0, "height": 0, "colors": 0, "revision": revision}

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
