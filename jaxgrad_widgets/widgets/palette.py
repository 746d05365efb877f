"""The colour scheme: the one place that names every colour the widgets draw.

Example:
    >>> from jaxgrad_widgets.widgets.palette import start_color, START_COLORS
    >>> start_color(0) == START_COLORS[0], start_color(len(START_COLORS)) == START_COLORS[0]
    (True, True)
"""

from __future__ import annotations

#: One colour per start (its path, current point, loss curve and status row); cycles
#: after 16. Each has a contrast of at least 3:1 against a white plot and against
#: JupyterLab's dark output background (#212121), is at least 25 (CIE76) from every
#: colour of the map's viridis shading, and at least 28 from every other start colour
#: (tests/python/test_palette.py measures all three).
START_COLORS: tuple[str, ...] = (
    "#d62728",  # red
    "#1463ff",  # blue
    "#e07000",  # orange
    "#008500",  # green
    "#bf00ff",  # violet
    "#ad8200",  # ochre
    "#ff00bf",  # magenta
    "#0096e0",  # sky
    "#cf7659",  # terracotta
    "#697722",  # olive
    "#a079d8",  # lavender
    "#ff1476",  # rose
    "#ae39c6",  # purple
    "#3388ff",  # light blue
    "#d36995",  # pink
    "#ff0000",  # bright red
)

#: The map's colour scheme (perceptually uniform), by bqplot's scheme name.
MAP_SCHEME = "viridis"
#: Contour lines over the shaded map.
CONTOUR_COLOR = "#ffffff"
CONTOUR_OPACITY = 0.45
#: Known minima and critical points on the map.
MINIMUM_COLOR = "#ffffff"
MINIMUM_STROKE = "#000000"
#: Status text for a start that diverged or an input that was refused.
ERROR_COLOR = "#d70022"
#: Status text for a start that converged.
SUCCESS_COLOR = "#1a7f37"
#: The current-frame marker on the loss plot.
FRAME_MARKER_COLOR = "#888888"
#: The negative-gradient arrows (and a 1-D curve's tangents).
ARROW_COLOR = "#000000"


def start_color(index: int) -> str:
    """The colour of start number ``index`` (0-based), cycling through START_COLORS.

    Example:
        >>> start_color(1)
        '#1463ff'
    """
    return START_COLORS[index % len(START_COLORS)]


#: f, f′, f″, ... in the derivative explorer (cycles after the last).
DERIVATIVE_COLORS: tuple[str, ...] = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
)
#: The tangent line and the draggable x marker.
TANGENT_COLOR = "#ff7f0e"
#: Critical points by kind.
CRITICAL_POINT_COLORS: dict[str, str] = {
    "minimum": "#2ca02c",
    "maximum": "#d62728",
    "inflection": "#9467bd",
    "undetermined": "#7f7f7f",
}
#: A 1-D function's curve, and the robot's slice.
CURVE_COLOR = "#4c72b0"
#: The line a locked axis holds the robot on.
LOCK_COLOR = "#ff00ff"
#: Data behind the companion panel (histogram bars, scatter points).
DATA_COLOR = "#8c9bb0"
#: The learning-rate sweep: the rates where some start diverges (shaded), and the
#: stability limit theory gives (a dashed line).
SWEEP_DIVERGED_COLOR = "#d70022"
SWEEP_DIVERGED_OPACITY = 0.12
THEORY_COLOR = "#444444"

#: The basins of attraction layer on the map: one colour per minimum (cycling after
#: the last), drawn lighter the longer a run took to converge. Each is at least 35
#: (CIE76) from every colour of the viridis shading it is drawn over, at least 45 from
#: every other and from the diverged and "no minimum" colours
#: (tests/python/test_basins_layer.py measures them).
BASIN_COLORS: tuple[str, ...] = (
    "#e41a1c",  # red
    "#0000ff",  # blue
    "#ff00bb",  # magenta
    "#557700",  # olive
    "#ffaa00",  # amber
    "#0088ff",  # sky
    "#aa4466",  # rose
    "#eeaaff",  # lilac
    "#8833cc",  # purple
    "#884400",  # brown
)
#: Cells whose run diverged (a dark colour no minimum has).
BASIN_DIVERGED_COLOR = "#1a1a1a"
#: Cells whose run ended at no known minimum.
BASIN_UNDECIDED_COLOR = "#c8c8c8"
#: The layer's opacity: the shading shows through it and the contours are drawn above.
BASIN_ALPHA = 0.6
#: The race's one start, which every optimizer leaves from: neutral, no optimizer's
#: colour (white with a black outline, like the map's minima).
RACE_START_COLOR = "#ffffff"
#: The map's marker (bqplot's names) of each kind of critical point.
CRITICAL_MARKERS: dict[str, str] = {"minimum": "cross", "saddle": "diamond",
                                    "maximum": "triangle-up"}  # fmt: skip
#: The Hessian's axes at the current points: directions that curve up (solid) and
#: down (dashed); white and orange read over every shade of the map's scheme.
CURVATURE_COLORS: dict[str, str] = {"positive": "#ffffff", "negative": "#ff6d00"}
