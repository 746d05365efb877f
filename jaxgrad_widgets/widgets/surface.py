"""The 3-D surface view: the loss as a shaded surface with every start's path on it.

:class:`SurfaceView` is an anywidget drawn with three.js (WebGL) in the browser. Python
hands it the heights on a grid and the paths once; the browser draws frame ``frame``
(each path up to that frame plus a marker at each start's current point). A
:class:`~jaxgrad_widgets.widgets.player.Player` animates it in step with the 2-D map and
the loss plot through a track of kind ``frame``, with no kernel messages during
playback::

    player = Player(targets=[..., surface])
    player.load(n, buffers, [..., {"target": index_of_surface, "kind": "frame"}])

Heights are clipped to ``z_clip`` for display, so a steep wall (a ``y**4`` term) does
not flatten the valleys; the view hatches the clipped cap and says "heights above Z
clipped". The browser sends back only the camera (after a drag, a zoom or a reset) and,
with it, the frame it shows; both are validated here.

Example:
    >>> import numpy as np
    >>> from jaxgrad_widgets.widgets.surface import SurfaceView
    >>> xs = ys = np.linspace(-2, 2, 5)
    >>> s = SurfaceView(labels=["x", "y", "loss"])
    >>> s.set_landscape(xs, ys, np.add.outer(ys**2, xs**2))
    >>> s.grid["shape"], s.x_range, s.z_clip
    ([5, 5], [-2.0, 2.0], [0.0, 8.0])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import anywidget
import numpy as np
import traitlets

from .palette import MAP_SCHEME, start_color
from .player import bundle, pack_buffers

__all__ = [
    "COLORMAPS",
    "DEFAULT_CAMERA",
    "SurfaceView",
    "auto_clip",
    "sanitize_camera",
]

#: The colour scales the front end knows (js/surface/colormaps.ts); all perceptually uniform.
COLORMAPS: tuple[str, ...] = ("viridis", "magma", "inferno", "plasma", "cividis")
#: matplotlib's ``view_init(20, 20)``, as in the teaching notebook; zoom 1 fits the box.
DEFAULT_CAMERA: dict[str, float] = {"elevation": 20.0, "azimuth": 20.0, "zoom": 1.0}
ELEVATION_RANGE = (-90.0, 90.0)
ZOOM_RANGE = (0.25, 4.0)
HEIGHT_RANGE = (120, 2000)
#: The default top of the display clip: this quantile of the finite heights.
CLIP_QUANTILE = 0.98
#: No clip when the highest point is within this factor of the quantile's height
#: (measured from the lowest point): cutting 2% of the grid by a hair shows nothing.
CLIP_SLACK = 1.1


def auto_clip(values: Any, quantile: float = CLIP_QUANTILE) -> tuple[float, float]:
    """A display clip for heights: from the lowest finite value to a high quantile.

    The lower end is always the minimum, so the valleys (the minima) are never cut.
    The upper end is the ``quantile`` of the finite heights, unless the maximum is
    barely above it (within 10% of the range), in which case nothing is clipped. A
    grid with no finite value gives ``(0.0, 1.0)``; a flat one is widened by 0.5.

    Example:
        >>> import numpy as np
        >>> auto_clip(np.r_[np.arange(100.0), 1000.0])   # one spike: clipped
        (0.0, 98.0)
        >>> auto_clip(np.arange(101.0))        # nothing sticks out: no clip
        (0.0, 100.0)
        >>> auto_clip([np.nan, 3.0, 3.0])
        (2.5, 3.5)
    """
    array = np.asarray(values, dtype=np.float64).ravel()
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if high - low <= 0:
        return low - 0.5, high + 0.5
    q = float(np.quantile(finite, min(max(float(quantile), 0.0), 1.0)))
    if q <= low or high - low <= CLIP_SLACK * (q - low):
        return low, high
    return low, q


def _finite(value: Any, fallback: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return fallback
    return number if math.isfinite(number) else fallback


def sanitize_camera(value: Any, previous: Mapping[str, float] | None = None) -> dict[str, float]:
    """A valid camera from anything (e.g. what a browser sent).

    Missing, non-numeric or non-finite fields keep ``previous`` (the default camera
    when None); elevation is clamped to [-90, 90] degrees, azimuth wrapped into
    [-180, 180), zoom clamped to [0.25, 4]. Unknown keys are dropped.

    Example:
        >>> sanitize_camera({"elevation": 120, "azimuth": 370, "zoom": "x", "evil": 1})
        {'elevation': 90.0, 'azimuth': 10.0, 'zoom': 1.0}
    """
    base = dict(DEFAULT_CAMERA if previous is None else previous)
    given = value if isinstance(value, Mapping) else {}
    elevation = _finite(given.get("elevation"), _finite(base.get("elevation"), 20.0))
    azimuth = _finite(given.get("azimuth"), _finite(base.get("azimuth"), 20.0))
    zoom = _finite(given.get("zoom"), _finite(base.get("zoom"), 1.0))
    return {
        "elevation": float(min(max(elevation, ELEVATION_RANGE[0]), ELEVATION_RANGE[1])),
        "azimuth": float((azimuth + 180.0) % 360.0 - 180.0),
        "zoom": float(min(max(zoom, ZOOM_RANGE[0]), ZOOM_RANGE[1])),
    }


def _pair(value: Any, name: str, increasing: bool = True) -> list[float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError) as error:
        raise traitlets.TraitError(f"{name} must be two numbers, got {value!r}") from error
    if not (math.isfinite(low) and math.isfinite(high)):
        raise traitlets.TraitError(f"{name} must be finite, got {[low, high]}")
    if increasing and not low < high:
        raise traitlets.TraitError(f"{name} must be increasing (low < high), got {[low, high]}")
    return [low, high]


def _axis(values: Any, name: str) -> np.ndarray:
    axis = np.asarray(values, dtype=np.float64).ravel()
    if axis.size < 2 or not np.all(np.isfinite(axis)):
        raise ValueError(f"{name} must hold at least two finite coordinates")
    steps = np.diff(axis)
    if not np.all(steps > 0):
        raise ValueError(f"{name} must be increasing")
    if np.ptp(steps) > 1e-3 * float(steps.mean()):
        raise ValueError(f"{name} must be evenly spaced (like np.linspace)")
    return axis


class _Frame(traitlets.Int):
    """An Int that turns anything number-like into an int (non-finite: the current value)."""

    def validate(self, obj: Any, value: Any) -> int:
        current = obj._trait_values.get(self.name, 0) if obj is not None else 0
        return super().validate(obj, int(_finite(value, float(current))))


class _Camera(traitlets.Dict):
    """A camera dict; anything else (a browser's garbage) is sanitised, never refused."""

    def validate(self, obj: Any, value: Any) -> dict[str, float]:
        previous = obj._trait_values.get(self.name) if obj is not None else None
        return sanitize_camera(value, previous)


class SurfaceView(anywidget.AnyWidget):
    """The loss over two parameters as a 3-D surface, with paths and current points.

    Traits (all synced with the browser):

    - ``grid``: the heights, ``{"shape": [ny, nx], "data": float32 bytes}`` (the
      Player's wire format); row ``i`` is ``y = ys[i]``, like ``f(*np.meshgrid(xs, ys))``.
    - ``x_range``, ``y_range``: the grid's first and last coordinates.
    - ``z_clip``: heights are clamped into it for display; the clipped cap is hatched.
    - ``labels``: the x, y and z axis labels.
    - ``paths``: ``(k, n, 3)`` float32 (x, y, loss of every start at every frame),
      ``lengths``: each start's number of valid (finite) frames, ``colors``: one CSS
      colour per start.
    - ``frame``: the frame shown (clamped to ``[0, n - 1]``).
    - ``camera``: ``{"elevation", "azimuth"}`` in degrees and ``"zoom"``; set by the
      user's drags in the browser too.
    - ``colormap``: a name from :data:`COLORMAPS`; ``height``: in pixels.

    Use :meth:`set_landscape` and :meth:`set_paths` rather than the raw traits.

    Example:
        >>> s = SurfaceView()
        >>> s.camera, s.colormap, s.height, s.frame
        ({'elevation': 20.0, 'azimuth': 20.0, 'zoom': 1.0}, 'viridis', 440, 0)
    """

    # The bundle's text, not its path: a path makes anywidget watch the file and keep
    # every instance (and all it references) alive for good.
    _esm = bundle("surface.js")

    grid = traitlets.Dict().tag(sync=True)
    x_range = traitlets.List(traitlets.Float(), default_value=[0.0, 1.0]).tag(sync=True)
    y_range = traitlets.List(traitlets.Float(), default_value=[0.0, 1.0]).tag(sync=True)
    z_clip = traitlets.List(traitlets.Float(), default_value=[0.0, 1.0]).tag(sync=True)
    labels = traitlets.List(traitlets.Unicode(), default_value=["x", "y", "loss"]).tag(sync=True)
    paths = traitlets.Dict().tag(sync=True)
    lengths = traitlets.List(traitlets.Int()).tag(sync=True)
    colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    frame = _Frame(0).tag(sync=True)
    camera = _Camera(default_value=dict(DEFAULT_CAMERA)).tag(sync=True)
    colormap = traitlets.Enum(COLORMAPS, default_value=MAP_SCHEME).tag(sync=True)
    height = traitlets.Int(440).tag(sync=True)

    # ------------------------------------------------------------------ validation
    @traitlets.validate("x_range", "y_range")
    def _check_range(self, proposal: dict[str, Any]) -> list[float]:
        return _pair(proposal["value"], proposal["trait"].name)

    @traitlets.validate("z_clip")
    def _check_clip(self, proposal: dict[str, Any]) -> list[float]:
        return _pair(proposal["value"], "z_clip")

    @traitlets.validate("labels")
    def _check_labels(self, proposal: dict[str, Any]) -> list[str]:
        labels = [str(v) for v in proposal["value"]][:3]
        return labels + ["x", "y", "loss"][len(labels) :]

    @traitlets.validate("frame")
    def _clamp_frame(self, proposal: dict[str, Any]) -> int:
        return int(min(max(int(proposal["value"]), 0), self.n_frames - 1))

    @traitlets.validate("lengths")
    def _clamp_lengths(self, proposal: dict[str, Any]) -> list[int]:
        n = self.n_frames if self.paths else 0
        return [int(min(max(int(v), 0), n)) for v in proposal["value"]]

    @traitlets.validate("height")
    def _clamp_height(self, proposal: dict[str, Any]) -> int:
        return int(min(max(int(proposal["value"]), HEIGHT_RANGE[0]), HEIGHT_RANGE[1]))

    # ------------------------------------------------------------------ derived
    @property
    def n_frames(self) -> int:
        """Frames per path (1 when there are no paths).

        Example:
            >>> SurfaceView().n_frames
            1
        """
        shape = self.paths.get("shape") if self.paths else None
        return max(int(shape[1]), 1) if shape else 1

    @property
    def n_starts(self) -> int:
        """Number of paths.

        Example:
            >>> SurfaceView().n_starts
            0
        """
        shape = self.paths.get("shape") if self.paths else None
        return int(shape[0]) if shape else 0

    # ------------------------------------------------------------------ data
    def set_landscape(
        self,
        xs: Any,
        ys: Any,
        values: Any,
        clip: Sequence[float] | None = None,
    ) -> None:
        """Show the heights ``values[i, j] = f(xs[j], ys[i])`` in one message.

        ``xs`` and ``ys`` must be increasing and evenly spaced (``np.linspace``).
        ``clip`` is the display range of the heights; None picks one with
        :func:`auto_clip`. The lower end never rises above the lowest finite height,
        so the minima always show. NaN heights leave holes; +inf is clipped.

        Example:
            >>> import numpy as np
            >>> xs = ys = np.linspace(-1, 1, 3)
            >>> s = SurfaceView()
            >>> s.set_landscape(xs, ys, np.add.outer(ys**2, xs**2), clip=(0.5, 1.0))
            >>> s.z_clip    # lowered to the minimum, 0
            [0.0, 1.0]
        """
        x_axis = _axis(xs, "xs")
        y_axis = _axis(ys, "ys")
        heights = np.asarray(values, dtype=np.float64)
        if heights.shape != (y_axis.size, x_axis.size):
            raise ValueError(
                f"values must have shape (len(ys), len(xs)) = {(y_axis.size, x_axis.size)}, "
                f"got {heights.shape}"
            )
        finite = heights[np.isfinite(heights)]
        if clip is None:
            low, high = auto_clip(heights)
        else:
            low, high = _pair(clip, "clip")
            if finite.size:
                low = min(low, float(finite.min()))
        with self.hold_sync():
            self.grid = pack_buffers({"z": heights})["z"]
            self.x_range = [float(x_axis[0]), float(x_axis[-1])]
            self.y_range = [float(y_axis[0]), float(y_axis[-1])]
            self.z_clip = [float(low), float(high)]

    def set_paths(
        self,
        params_xy: Any,
        losses: Any,
        lengths: Sequence[int] | None = None,
        colors: Sequence[str] | None = None,
        frame: int | None = None,
    ) -> None:
        """Show ``k`` paths of ``n`` frames: ``params_xy`` is ``(k, n, 2)``, ``losses`` ``(k, n)``.

        ``lengths`` are each path's valid (finite) frames; None counts the leading
        finite records. ``colors`` default to the palette's start colours. ``frame``
        defaults to the last frame when the view was showing the end (the whole
        path, like the Player after a load), else the frame is kept.

        Example:
            >>> import numpy as np
            >>> s = SurfaceView()
            >>> xy = np.zeros((2, 4, 2)); loss = np.array([[3, 2, 1, 0], [3, 2, np.nan, np.nan]])
            >>> s.set_paths(xy, loss)
            >>> s.paths["shape"], s.lengths, s.colors, s.frame
            ([2, 4, 3], [4, 2], ['#d62728', '#1463ff'], 3)
        """
        xy = np.asarray(params_xy, dtype=np.float64)
        loss = np.asarray(losses, dtype=np.float64)
        if xy.ndim != 3 or xy.shape[2] != 2:
            raise ValueError(f"params_xy must have shape (k, n, 2), got {xy.shape}")
        k, n = xy.shape[:2]
        if loss.shape != (k, n):
            raise ValueError(f"losses must have shape {(k, n)}, got {loss.shape}")
        if n < 1:
            raise ValueError("paths need at least one frame")
        data = np.concatenate([xy, loss[:, :, None]], axis=2)
        if lengths is None:
            bad = ~np.all(np.isfinite(data), axis=2)
            lengths = [int(np.argmax(row)) if row.any() else n for row in bad]
        elif len(lengths) != k:
            raise ValueError(f"give one length per path: {k}, got {len(lengths)}")
        if colors is None:
            colors = [start_color(j) for j in range(k)]
        elif len(colors) != k:
            raise ValueError(f"give one colour per path: {k}, got {len(colors)}")
        at_end = self.frame >= self.n_frames - 1
        with self.hold_sync():
            self.paths = pack_buffers({"p": data})["p"]
            self.lengths = [int(v) for v in lengths]
            self.colors = [str(c) for c in colors]
            if frame is not None:
                self.frame = frame
            elif at_end:
                self.frame = n - 1
            else:
                self.frame = min(self.frame, n - 1)

    def set_camera(
        self,
        elevation: float | None = None,
        azimuth: float | None = None,
        zoom: float | None = None,
    ) -> None:
        """Point the camera, like matplotlib's ``ax.view_init(elev, azim)``; None keeps a value.

        Example:
            >>> s = SurfaceView(); s.set_camera(elevation=45, azimuth=-120); s.camera
            {'elevation': 45.0, 'azimuth': -120.0, 'zoom': 1.0}
        """
        given = {"elevation": elevation, "azimuth": azimuth, "zoom": zoom}
        self.camera = {name: v for name, v in given.items() if v is not None}
