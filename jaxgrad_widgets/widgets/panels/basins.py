"""The basins of attraction layer of the map: which minimum descent reaches from every cell.

A basin map of ``n x n`` cells (:mod:`~jaxgrad_widgets.engine.basins`, ``n`` up to 512)
is drawn as one picture the browser paints: each cell becomes a 1-byte *code* and the
codes go to the Player's raster channel with a small RGBA palette (see "Rasters" in
:mod:`~jaxgrad_widgets.widgets.player`), never one SVG element per cell. The picture
lands in this layer's bqplot ``Image`` mark, which tiles the map's bounds exactly; the
map places it above its height shading and below its contours, and the layer is
translucent so both stay readable.

Each minimum has its colour (:data:`~jaxgrad_widgets.widgets.palette.BASIN_COLORS`),
drawn lighter the longer the run from that cell took to converge; a run that ended at
a minimum without converging gets the lightest level. Diverged runs and runs that
ended near no minimum have colours of their own. The legend names each minimum by its
coordinates.

Codes: 0 "no minimum", 1 diverged, ``2 + m * levels + level`` the cells of minimum
``m`` at lightness ``level`` (0 the darkest: converged soonest; ``levels - 1`` the
lightest: never converged). ``levels`` is :data:`LEVELS`, fewer when there are more
than 31 minima, so that every code fits in a byte.

Example:
    >>> import bqplot, numpy as np
    >>> from jaxgrad_widgets.widgets.player import Player
    >>> scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
    >>> layer, player = BasinsLayer(scales), Player()
    >>> labels = np.array([[0, 0, 1], [DIVERGED, NOWHERE, 1]])  # row 0: the lowest y
    >>> steps = np.array([[3, 40, 5], [-1, -1, -1]])  # -1: never converged
    >>> layer.show(player, labels, steps, 100, [[-1.0, -1.0], [1.0, 0.5]],
    ...            ((-2.0, 2.0), (-1.0, 1.0)))
    >>> player.raster_layout["width"], player.raster_layout["height"], len(player.raster_codes)
    (3, 2, 6)
    >>> layer.mark.visible, layer.mark.x.tolist(), "(1.00, 0.50)" in layer.legend
    (True, [-2.0, 2.0], True)
    >>> layer.hide(player); layer.mark.visible, player.raster_codes, layer.legend
    (False, b'', '')
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from ...engine.basins import DIVERGED, NOWHERE
from ..looks import layout
from ..palette import BASIN_ALPHA, BASIN_COLORS, BASIN_DIVERGED_COLOR, BASIN_UNDECIDED_COLOR
from ..player import RASTER_MAX_CODES, Player
from .marks import float_array

Bounds = tuple[tuple[float, float], tuple[float, float]]

#: Lightness levels per minimum: 7 for how soon the run converged, the lightest for a
#: run that never did. 2 + 31 x 8 codes fit in a byte.
LEVELS = 8
#: The codes of cells whose run ended near no minimum, and of diverged ones.
UNDECIDED_CODE = 0
DIVERGED_CODE = 1
#: The first minimum's first code.
FIRST_MINIMUM_CODE = 2
#: How far towards white the lightest level goes (0: not at all, 1: white).
LIGHTEST = 0.7

__all__ = [
    "DIVERGED",
    "DIVERGED_CODE",
    "FIRST_MINIMUM_CODE",
    "LEVELS",
    "NOWHERE",
    "UNDECIDED_CODE",
    "BasinsLayer",
    "levels_for",
]


def levels_for(n_minima: int) -> int:
    """Lightness levels per minimum: :data:`LEVELS`, fewer when the codes would not fit a byte.

    Example:
        >>> levels_for(2), levels_for(30), levels_for(31), levels_for(40), levels_for(254)
        (8, 8, 8, 6, 1)
    """
    room = RASTER_MAX_CODES - FIRST_MINIMUM_CODE
    if n_minima > room:
        raise ValueError(f"a basin map can colour at most {room} minima, not {n_minima}")
    return max(1, min(LEVELS, room // max(int(n_minima), 1)))


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def _css(rgba: Sequence[int] | np.ndarray, opaque: bool = True) -> str:
    r, g, b, a = (int(v) for v in rgba)
    return f"rgba({r}, {g}, {b}, {1.0 if opaque else round(a / 255, 3)})"


class BasinsLayer:
    """The basin map on the map panel: an ``Image`` mark the browser paints, and a legend.

    ``scales`` are the map's x and y scales; ``bounds`` where the picture goes until
    :meth:`show` says otherwise. The mark is made the first time it is asked for (a
    dashboard whose basins are never shown sends no picture models) and handed to
    ``place``, which puts it on the map; it stays hidden until a basin map is shown.
    The legend (HTML, '' when none) goes to ``say``, which shows it under the map.

    Example:
        >>> import bqplot
        >>> layer = BasinsLayer({"x": bqplot.LinearScale(), "y": bqplot.LinearScale()},
        ...                     ((-2.0, 2.0), (0.0, 1.0)))
        >>> layer.made, layer.legend
        (False, '')
        >>> layer.mark.visible, layer.mark.y.tolist(), layer.mark.image.format, layer.made
        (False, [0.0, 1.0], 'url', True)
    """

    def __init__(
        self,
        scales: Mapping[str, bqplot.Scale],
        bounds: Bounds = ((0.0, 1.0), (0.0, 1.0)),
        *,
        say: Callable[[str], None] = lambda _text: None,
        place: Callable[[bqplot.Image], None] = lambda _mark: None,
    ) -> None:
        self._scales, self._bounds = dict(scales), bounds
        self._say, self._place = say, place
        self._mark: bqplot.Image | None = None
        self._legend = ""

    @property
    def made(self) -> bool:
        """Whether the mark exists (it is made on first use)."""
        return self._mark is not None

    @property
    def mark(self) -> bqplot.Image:
        """The picture's bqplot ``Image`` (made, and placed, on first use)."""
        if self._mark is None:
            (x_low, x_high), (y_low, y_high) = self._bounds
            self._mark = bqplot.Image(
                image=ipywidgets.Image(format="url", value=b"", layout=layout()),
                scales=self._scales, x=float_array([x_low, x_high]),
                y=float_array([y_low, y_high]), visible=False,
            )  # fmt: skip
            self._place(self._mark)
        return self._mark

    @property
    def legend(self) -> str:
        """The legend's HTML ('' when no basin map is shown)."""
        return self._legend

    def _set_legend(self, text: str) -> None:
        self._legend = text
        self._say(text)

    # ------------------------------------------------------------------ encoding
    @staticmethod
    def palette(n_minima: int) -> np.ndarray:
        """The ``(k, 4)`` uint8 RGBA colour of every code, for ``n_minima`` minima.

        Example:
            >>> p = BasinsLayer.palette(2)
            >>> p.shape, p[FIRST_MINIMUM_CODE].tolist(), int(p[0, 3]) == round(255 * BASIN_ALPHA)
            ((18, 4), [228, 26, 28, 153], True)
        """
        levels = levels_for(n_minima)
        alpha = round(255 * BASIN_ALPHA)
        rows = [_rgb(BASIN_UNDECIDED_COLOR), _rgb(BASIN_DIVERGED_COLOR)]
        white = np.full(3, 255.0)
        for m in range(int(n_minima)):
            base = _rgb(BASIN_COLORS[m % len(BASIN_COLORS)])
            for level in range(levels):
                t = LIGHTEST * level / (levels - 1) if levels > 1 else 0.0
                rows.append(base + (white - base) * t)
        rgb = np.rint(np.array(rows)).clip(0, 255)
        return np.column_stack([rgb, np.full(len(rows), alpha)]).astype(np.uint8)

    def encode(
        self, labels: Any, steps: Any, total_steps: int, n_minima: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cells -> ``(codes, palette)``: 1 byte per cell and the RGBA of every code.

        ``labels[i, j]`` is the minimum the run from cell ``(i, j)`` reached (an index
        below ``n_minima``), :data:`DIVERGED`, or anything else for "no minimum";
        ``steps[i, j]`` the step it converged at, negative (or past ``total_steps``)
        where it never did. Sooner converged is darker, on a logarithmic scale of
        ``total_steps``. ``codes`` keeps the grid's orientation (row 0 the lowest y).

        Example:
            >>> import bqplot
            >>> layer = BasinsLayer({"x": bqplot.LinearScale(), "y": bqplot.LinearScale()})
            >>> codes, palette = layer.encode([[0, 0, 1], [DIVERGED, NOWHERE, 1]],
            ...                               [[3, 40, 5], [-1, -1, -1]], 100, n_minima=2)
            >>> codes.tolist(), codes.dtype.name, palette.shape
            ([[4, 7, 12], [1, 0, 17]], 'uint8', (18, 4))
        """
        labels = np.asarray(labels)
        steps = np.asarray(steps, dtype=np.float64)
        if labels.ndim != 2:
            raise ValueError(f"labels must be a 2-D grid, not shape {labels.shape}")
        if steps.shape != labels.shape:
            raise ValueError(f"steps must have the labels' shape {labels.shape}, not {steps.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"labels must be integers, not {labels.dtype}")
        total = int(total_steps)
        if total < 1:
            raise ValueError(f"total_steps must be at least 1, not {total_steps}")
        n_minima = int(n_minima)
        if n_minima < 0:
            raise ValueError(f"n_minima must be 0 or more, not {n_minima}")
        levels = levels_for(n_minima)
        with np.errstate(invalid="ignore"):
            converged = np.isfinite(steps) & (steps >= 0) & (steps <= total)
            fraction = np.log1p(np.where(converged, steps, 0.0)) / np.log1p(total)
        level = np.minimum(np.floor(fraction * (levels - 1)), max(levels - 2, 0))
        level = np.where(converged, level, levels - 1).astype(np.int64)
        at_minimum = (labels >= 0) & (labels < n_minima)
        minimum = np.where(at_minimum, labels, 0).astype(np.int64)
        codes = np.where(
            at_minimum,
            FIRST_MINIMUM_CODE + minimum * levels + level,
            np.where(labels == DIVERGED, DIVERGED_CODE, UNDECIDED_CODE),
        )
        return codes.astype(np.uint8), self.palette(n_minima)

    # ------------------------------------------------------------------ showing
    def show(
        self,
        player: Player,
        labels: Any,
        steps: Any,
        total_steps: int,
        minima_xy: Any,
        bounds: Bounds,
    ) -> None:
        """Draw a basin map over ``bounds`` through ``player``, and fill the legend.

        ``minima_xy`` are the minima's map coordinates, ``(m, 2)``, in label order.
        """
        minima = np.asarray(minima_xy, dtype=np.float64).reshape(-1, 2)
        codes, palette = self.encode(labels, steps, total_steps, len(minima))
        (x_low, x_high), (y_low, y_high) = bounds
        with self.mark.hold_sync():
            self.mark.x = float_array([x_low, x_high])
            self.mark.y = float_array([y_low, y_high])
        player.show_raster(self.mark, codes, palette)
        # The browser shows the mark once painted; Python's copy says the same.
        self.mark.visible = True
        self._set_legend(self.legend_html(minima, palette))

    def say(self, text: str) -> None:
        """A line in the legend's place while the basins compute (a slow function).

        Example:
            >>> import bqplot
            >>> layer = BasinsLayer({"x": bqplot.LinearScale(), "y": bqplot.LinearScale()})
            >>> layer.say("computing the basins: 40%"); layer.legend
            '<div class="jgw-basins-progress">computing the basins: 40%</div>'
        """
        self._set_legend(f'<div class="jgw-basins-progress">{html.escape(text)}</div>')

    def hide(self, player: Player) -> None:
        """Take the basin map off the map; the legend empties."""
        player.clear_raster()
        if self._mark is not None:
            self._mark.visible = False
        self._set_legend("")

    @staticmethod
    def legend_html(minima_xy: Any, palette: np.ndarray) -> str:
        """A swatch per minimum (darkest to lightest) by its coordinates, then the others.

        Example:
            >>> text = BasinsLayer.legend_html([[0.5, -1.0]], BasinsLayer.palette(1))
            >>> "(0.50, -1.00)" in text, "diverged" in text, "no minimum" in text
            (True, True, True)
        """
        minima = np.asarray(minima_xy, dtype=np.float64).reshape(-1, 2)
        levels = levels_for(len(minima))
        swatch = (
            "display:inline-block;width:1.6em;height:0.9em;margin-right:0.3em;"
            "vertical-align:middle;border:1px solid rgba(128,128,128,0.6);background:"
        )

        def item(background: str, label: str, title: str) -> str:
            return (
                f'<span class="jgw-basin" title="{html.escape(title)}" '
                f'style="white-space:nowrap"><span style="{swatch}{background}"></span>'
                f"{html.escape(label)}</span>"
            )

        items = []
        for m, (x, y) in enumerate(minima):
            first = FIRST_MINIMUM_CODE + m * levels
            darkest, lightest = _css(palette[first]), _css(palette[first + levels - 1])
            items.append(
                item(
                    f"linear-gradient(90deg, {darkest}, {lightest})",
                    f"({x:.2f}, {y:.2f})",
                    f"runs ending at the minimum ({x:.4g}, {y:.4g}); lighter: slower",
                )
            )
        items.append(item(_css(palette[DIVERGED_CODE]), "diverged", "runs that diverged"))
        items.append(
            item(_css(palette[UNDECIDED_CODE]), "no minimum", "runs that ended near no minimum")
        )
        head = (
            '<div style="display:flex;flex-wrap:wrap;gap:0.2em 1em;font-size:12px;'
            'align-items:center"><span>basins (lighter: slower):</span>'
        )
        return head + "".join(items) + "</div>"
