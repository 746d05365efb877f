"""DerivativeWidget: f, f′, f″, ... of a 1-D function, and the tangent at a draggable x.

Each derivative is ``jax.grad`` composed once more, evaluated on the whole x range
in one compiled call. Dragging the x marker recomputes the tangent and the readout;
the critical points (f′ = 0) are marked with their kind.

Example:
    >>> from jaxgrad_widgets import DerivativeWidget
    >>> from jaxgrad_widgets.functions import polynomial
    >>> w = DerivativeWidget(polynomial, order=2, x=3.0)
    >>> w.values
    {'f': 36.0, 'f′': 22.0, 'f″': 6.0}
    >>> [(round(x, 4), kind) for x, kind in w.critical_points]
    [(-0.6667, 'minimum')]
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np
import traitlets

from ..engine import (
    JaxGradError,
    ObjectiveError,
    check_bounds,
    check_order,
    critical_points_1d,
    derivatives_on,
)
from ..engine.derivatives import sample_count
from ..engine.shared import shared_objective
from ..functions import describe
from .inputs import clamp_value
from .lifecycle import close_tree, replace_earlier_runs
from .looks import figure_frame, layout, style, tooltip
from .palette import CRITICAL_POINT_COLORS, DERIVATIVE_COLORS, TANGENT_COLOR
from .panels.marks import MARGIN, axis_pair, plot_pixels, set_ticks
from .watch import KernelWatch

#: The height (pixels) of f's panel, and of each derivative's below it.
MAIN_HEIGHT = 340
PANEL_HEIGHT = 190

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def derivative_name(order: int) -> str:
    """'f', 'f′', 'f″', 'f‴', then 'f⁽⁴⁾', ...

    Example:
        >>> [derivative_name(k) for k in range(5)]
        ['f', 'f′', 'f″', 'f‴', 'f⁽⁴⁾']
    """
    if order <= 3:
        return "f" + ("", "′", "″", "‴")[order]
    return f"f⁽{str(order).translate(_SUPERSCRIPT)}⁾"


def _range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = 0.08 * (high - low) if high > low else max(1.0, abs(high)) * 0.5
    return low - pad, high + pad


class DerivativeWidget(ipywidgets.VBox):
    """Plots f and its derivatives up to ``order``, with a tangent at a draggable x.

    Args:
        f: a function of one number, e.g. ``polynomial(x)``.
        order: the highest derivative shown (1 to 8).
        x: where the tangent and the readout start.
        bounds: (xmin, xmax); known functions bring their own.
        argnums: which argument of f is x (like ``jax.grad``), when it is not the only one.
        resolution: points along x, 20 to 4000; fewer for a function jax.jit cannot
            compile, which is differentiated point by point (see ``sample_count``).
        **fixed: values for f's other arguments.

    Example:
        >>> from jaxgrad_widgets.functions import line
        >>> w = DerivativeWidget(line, order=1)
        >>> w.values["f′"], w.critical_points
        (3.0, [])
    """

    x = traitlets.Float(0.0)

    def __init__(
        self,
        f: Callable[..., Any],
        order: int = 2,
        x: float | None = None,
        bounds: tuple[float, float] | None = None,
        argnums: int | Sequence[int] | None = None,
        *,
        resolution: int = 400,
        **fixed: Any,
    ) -> None:
        self.order = check_order(order)
        info = describe(f) if argnums is None and not fixed else None
        self.objective = shared_objective(f, argnums, fixed=fixed)
        if self.objective.dim != 1:
            raise ObjectiveError(
                f"DerivativeWidget needs a function of one number; {self.objective.name} has "
                f"{self.objective.dim} parameters ({', '.join(self.objective.names)}): bind the "
                "others with keyword arguments, or use GradDescentWidget"
            )
        if x is None:
            x = info.start[0] if info is not None else 0.0
        start = float(self.objective.as_flat(x)[0])
        if bounds is not None:
            ((low, high),) = check_bounds([bounds], 1)
        elif info is not None:
            low, high = info.bounds[0]
        else:
            low, high = start - 3.0, start + 3.0
        self.bounds = (float(low), float(high))
        resolution = int(min(max(int(resolution), 20), 4000))
        # An un-jittable f is differentiated point by point in Python: fewer points.
        resolution = sample_count(self.objective, self.order, resolution)
        self.xs = np.linspace(low, high, resolution, dtype=np.float32)
        self.curves = derivatives_on(self.objective, self.xs, self.order)
        self.critical_points = critical_points_1d(self.objective, self.bounds)

        self.x_scale = bqplot.LinearScale(min=float(low), max=float(high), allow_padding=False)
        self.panels = [self._panel(k) for k in range(self.order + 1)]
        self._add_tangent_and_marker()
        look = style(ipywidgets.HTML)
        self.readout = ipywidgets.HTML(layout=layout(width="100%"), style=look)
        self.status_line = ipywidgets.HTML(layout=layout(width="100%"), style=look)
        title = info.formula if info is not None and info.formula else ""
        heading = f"<b>{html.escape(self.objective.name)}</b>({self.objective.names[0]})"
        if title:
            heading += f" = {html.escape(title)}"
        super().__init__(
            [
                # Says so should the kernel stop (invisible until then).
                KernelWatch(layout=layout()),
                ipywidgets.HTML(
                    f'<div class="jgw-title">{heading}</div>', layout=layout(), style=look
                ),
                *[panel["figure"] for panel in self.panels],
                self.readout,
                ipywidgets.HTML(self._critical_html(), layout=layout(), style=look),
                self.status_line,
            ],
            layout=layout(width="100%"),
        )
        self.add_class("jgw-root")
        self.add_class("jgw-derivative")
        self.observe(self._on_x, names="x")
        self.x = min(max(start, self.bounds[0]), self.bounds[1])
        self._update()
        replace_earlier_runs(self)

    # ------------------------------------------------------------------ building
    def _panel(self, k: int) -> dict[str, Any]:
        name = derivative_name(k)
        low, high = _range(self.curves[k])
        y_scale = bqplot.LinearScale(min=low, max=high, allow_padding=False)
        scales = {"x": self.x_scale, "y": y_scale}
        color = DERIVATIVE_COLORS[k % len(DERIVATIVE_COLORS)]
        # No legend (it would sit on the curve): the y axis names the panel's function.
        curve = bqplot.Lines(x=self.xs, y=self.curves[k], scales=scales, colors=[color],
                             stroke_width=2.5)  # fmt: skip
        cursor = bqplot.Lines(
            x=np.zeros(2, np.float32), y=np.array([low, high], np.float32), scales=scales,
            colors=[TANGENT_COLOR], line_style="dashed", stroke_width=1.0,
        )  # fmt: skip
        point = bqplot.Scatter(
            x=np.zeros(1, np.float32), y=np.zeros(1, np.float32), scales=scales,
            colors=[color], default_size=40, stroke="#000000",
        )  # fmt: skip
        height = MAIN_HEIGHT if k == 0 else PANEL_HEIGHT
        x_axis, y_axis = axis_pair(self.x_scale, y_scale, self.objective.names[0],
                                   f"{name}({self.objective.names[0]})")  # fmt: skip
        width, plot_height = plot_pixels(height, width=760)
        set_ticks(x_axis, *self.bounds, width)
        set_ticks(y_axis, low, high, plot_height)
        # A layout of its own: the figures are there for customising (see figures).
        figure = bqplot.Figure(
            marks=[curve, cursor, point], axes=[x_axis, y_axis], fig_margin=dict(MARGIN),
            layout=ipywidgets.Layout(width="100%", height=f"{height}px"), **figure_frame(),
        )  # fmt: skip
        figure.add_class(f"jgw-derivative-{k}")
        return {"figure": figure, "curve": curve, "cursor": cursor, "point": point,
                "y_scale": y_scale, "scales": scales}  # fmt: skip

    def _add_tangent_and_marker(self) -> None:
        main = self.panels[0]
        scales = main["scales"]
        self.tangent = bqplot.Lines(
            x=np.array(self.bounds, np.float32), y=np.zeros(2, np.float32), scales=scales,
            colors=[TANGENT_COLOR], stroke_width=2.0,
        )  # fmt: skip
        kinds = [kind for _, kind in self.critical_points]
        xs = np.array([x for x, _ in self.critical_points], np.float32)
        self.critical = bqplot.Scatter(
            x=xs, y=np.interp(xs, self.xs, self.curves[0]).astype(np.float32), scales=scales,
            colors=[CRITICAL_POINT_COLORS[k] for k in kinds] or ["#7f7f7f"],
            marker="diamond", default_size=80, stroke="#000000",
            tooltip=tooltip(fields=["x", "y"], formats=[".4f", ".4f"]),
        )  # fmt: skip
        # The draggable marker: it moves along x only; Python puts it back on the curve.
        self.marker = bqplot.Scatter(
            x=np.zeros(1, np.float32), y=np.zeros(1, np.float32), scales=scales,
            colors=[TANGENT_COLOR], default_size=160, stroke="#000000", stroke_width=1.5,
            enable_move=True, restrict_x=True, update_on_move=False,
        )  # fmt: skip
        self.marker.on_drag(self._on_drag)
        self.marker.on_drag_end(self._on_drag)
        figure = main["figure"]
        figure.marks = [*figure.marks, self.tangent, self.critical, self.marker]

    def _critical_html(self) -> str:
        if not self.critical_points:
            return '<div class="jgw-critical">no point with f′ = 0 in view</div>'
        items = []
        values = derivatives_on(self.objective, [x for x, _ in self.critical_points], 1)[0]
        for (x, kind), value in zip(self.critical_points, values, strict=True):
            color = CRITICAL_POINT_COLORS[kind]
            items.append(
                f'<span style="color:{color}">{kind}</span> at {self.objective.names[0]} = '
                f"{x:.4g} (f = {float(value):.4g})"
            )
        return '<div class="jgw-critical">f′ = 0: ' + "; ".join(items) + "</div>"

    # ------------------------------------------------------------------ reactions
    @traitlets.validate("x")
    def _clamp_x(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not np.isfinite(value):
            raise ObjectiveError(f"x must be a finite number, not {proposal['value']!r}")
        return float(min(max(value, self.bounds[0]), self.bounds[1]))

    def _on_drag(self, _mark: Any, event: Any) -> None:
        point = event.get("point") if isinstance(event, dict) else None
        value = clamp_value(point.get("x"), *self.bounds) if isinstance(point, dict) else None
        if value is not None:
            self.x = value

    def _on_x(self, _change: dict[str, Any]) -> None:
        try:
            self._update()
        except JaxGradError as err:
            self.status_line.value = f'<div class="jgw-error">{html.escape(str(err))}</div>'

    def _update(self) -> None:
        values = derivatives_on(self.objective, [self.x], self.order)[:, 0].astype(float)
        self._values = values
        x = np.float32(self.x)
        with self.hold_sync():
            for k, panel in enumerate(self.panels):
                low, high = panel["y_scale"].min, panel["y_scale"].max
                with panel["cursor"].hold_sync():
                    panel["cursor"].x = np.array([x, x], np.float32)
                    panel["cursor"].y = np.array([low, high], np.float32)
                with panel["point"].hold_sync():
                    panel["point"].x = np.array([x], np.float32)
                    panel["point"].y = np.array([values[k]], np.float32)
            ends = self._tangent_ends(values)
            with self.tangent.hold_sync():
                # At a pole (f or f′ infinite) there is no tangent to draw.
                self.tangent.visible = ends is not None
                self.tangent.y = ends if ends is not None else np.zeros(2, np.float32)
            with self.marker.hold_sync():
                self.marker.x = np.array([x], np.float32)
                self.marker.y = np.array([values[0]], np.float32)
            self.readout.value = self._readout_html(values)

    def _tangent_ends(self, values: np.ndarray) -> np.ndarray | None:
        """The tangent's height at both ends of the x range, or None where f or f′ is not
        finite (computing it there would only warn about inf - inf)."""
        f, slope = values[0], values[1]
        if not (np.isfinite(f) and np.isfinite(slope)):
            return None
        ends = np.array(self.bounds, np.float64)
        # A finite but huge slope overflows float32: inf, which the view clips.
        with np.errstate(over="ignore"):
            return (f + slope * (ends - self.x)).astype(np.float32)

    def _readout_html(self, values: np.ndarray) -> str:
        name = self.objective.names[0]
        cells = "".join(
            f'<td style="color:{DERIVATIVE_COLORS[k % len(DERIVATIVE_COLORS)]}">'
            f"{derivative_name(k)}({self.x:.4g}) = <b>{value:.6g}</b></td>"
            for k, value in enumerate(values)
        )
        tangent = f"tangent: y = {values[0]:.4g} + {values[1]:.4g}·({name} − {self.x:.4g})"
        return (
            f'<table class="jgw-readout" data-x="{self.x:.6g}"><tr>{cells}</tr></table>'
            f'<div class="jgw-tangent" style="color:{TANGENT_COLOR}">{html.escape(tangent)}</div>'
        )

    # ------------------------------------------------------------------ public
    @property
    def values(self) -> dict[str, float]:
        """f(x), f′(x), ... at the current x, by name."""
        return {derivative_name(k): float(v) for k, v in enumerate(self._values)}

    @property
    def figures(self) -> list[bqplot.Figure]:
        """The bqplot Figures, f first, for customising."""
        return [panel["figure"] for panel in self.panels]

    def close(self) -> None:
        """Close the widget and every widget it made (figures, marks, scales, layouts).

        VBox.close() closes only the box: its children would stay in ipywidgets'
        registry, and keep the widget, its objective and its compiled kernels alive.
        """
        widgets = [*self.children, self.layout]
        super().close()
        for widget in widgets:
            close_tree(widget)
