"""The companion panel: the data, and the model of the current step drawn over it.

A :class:`~jaxgrad_widgets.widgets.companion.Companion` says what to draw behind (a
histogram, a scatter) and which curve the parameters describe; this panel evaluates
that curve at every step of every start in one call and the Player swaps it frame by
frame, so the density (or the fitted line) moves as the descent plays.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.widgets.companion import Companion
    >>> c = Companion.scatter([0, 1], [0, 1], lambda xs, w: w * xs)
    >>> p = CompanionPanel(c, Objective(lambda w: (w - 1) ** 2))
    >>> [type(m).__name__ for m in p.player_marks()]
    ['Lines']
"""

from __future__ import annotations

import bqplot
import numpy as np

from ...engine import Objective
from ...engine.companion import frame_curves
from ..companion import Companion
from ..looks import figure_frame, layout
from ..palette import DATA_COLOR
from ..player import slot
from .marks import (
    MARGIN,
    Frames,
    axis_pair,
    color_starts,
    plot_pixels,
    set_quietly,
    set_ticks,
    start_colors,
)
from .view import RunView


class CompanionPanel:
    """The data behind, and one model curve per start that the Player moves.

    Example:
        >>> c = Companion.histogram([0.0, 1.0, 1.0, 2.0], lambda xs, m: xs * 0 + m, bins=2)
        >>> type(CompanionPanel(c, Objective(lambda m: m**2)).background).__name__
        'Bars'
    """

    name = "data"
    #: The curves come from the bound data: they are not in the learning-rate family.
    family = False

    def __init__(self, companion: Companion, objective: Objective) -> None:
        self.companion = companion
        self.objective = objective
        self.x_scale = bqplot.LinearScale(
            min=float(companion.xs[0]), max=float(companion.xs[-1]), allow_padding=False
        )
        self.y_scale = bqplot.LinearScale()
        scales = {"x": self.x_scale, "y": self.y_scale}
        if companion.kind == "histogram":
            self.background = bqplot.Bars(
                x=companion.background_x, y=companion.background_y, scales=scales,
                colors=[DATA_COLOR], opacities=[0.55], padding=0.05,
            )  # fmt: skip
        else:
            self.background = bqplot.Scatter(
                x=companion.background_x, y=companion.background_y, scales=scales,
                colors=[DATA_COLOR], default_size=16, opacities=[0.6],
            )  # fmt: skip
        self.curves = bqplot.Lines(
            x=companion.xs, y=np.zeros_like(companion.xs), scales=scales,
            colors=start_colors(1), stroke_width=2.5, visible=False,
        )  # fmt: skip
        axes = axis_pair(self.x_scale, self.y_scale, companion.x_label, companion.y_label)
        self._pixels = plot_pixels(440, width=360)
        set_ticks(axes[0], float(companion.xs[0]), float(companion.xs[-1]), self._pixels[0])
        self.figure = bqplot.Figure(
            marks=[self.background, self.curves], axes=list(axes),
            fig_margin=dict(MARGIN),
            layout=layout(width="100%", height="440px", min_width="260px", flex="1 1 300px"),
            **figure_frame(),
        )  # fmt: skip
        self.figure.add_class("jgw-data")

    def player_marks(self) -> list[bqplot.Mark]:
        return [self.curves]

    def frames(self, view: RunView) -> Frames:
        """The curve of every step of every start: row ``f`` of a start's buffer at frame f."""
        c = self.companion
        curves = frame_curves(self.objective, c.curve, c.xs, view.run.params)
        track = dict(target=0, kind="windows", x_static="x", y="y", lengths=slot("lengths"))
        lengths = [max(int(length), 1) for length in view.lengths]
        return Frames({"x": c.xs, "y": curves}, [track], {"lengths": lengths})

    def show(self, view: RunView, frames: Frames) -> None:
        """After a load: the y range fits the curves and the data; Python's copies."""
        curves, lengths = frames.buffers["y"], frames.values["lengths"]
        self._fit_y(curves, lengths)
        color_starts(view.starts, self.curves)
        last = np.stack([curves[j, length - 1] for j, length in enumerate(lengths)])
        set_quietly(self.curves, y=last)
        if not self.curves.visible:
            self.curves.visible = True

    def _fit_y(self, curves: np.ndarray, lengths: list[int]) -> None:
        shown = [curves[j, :length] for j, length in enumerate(lengths)]
        values = np.concatenate([v.reshape(-1) for v in shown] + [self.companion.background_y])
        values = values[np.isfinite(values)]
        low, high = float(values.min()), float(values.max())
        if self.companion.kind == "histogram":
            low = 0.0
            # A far-off start makes a tall, thin density: do not let it flatten the data.
            high = min(high, 3.0 * float(self.companion.background_y.max()))
        pad = 0.05 * (high - low or 1.0)
        bottom = low if low == 0.0 else low - pad
        with self.y_scale.hold_sync():
            self.y_scale.min, self.y_scale.max = bottom, high + pad
        set_ticks(self.figure.axes[1], bottom, high + pad, self._pixels[1])
