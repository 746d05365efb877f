"""The other views in a real browser: derivatives, the one-axis robot, the 3-D surface.

What a user sees:

- JupyterLab, ``examples/derivatives.ipynb``: dragging the orange x marker of the
  parabola's DerivativeWidget moves the tangent, which still touches the curve at the
  marker, and the readout shows f′(x) = 6x + 4 for the new x.
- Voilà, ``examples/one_axis_robot.ipynb``: the robot (y locked at 1.2) shows the
  dashed locked line on the map and the slice panel; while it plays, its current
  point slides along the locked line (constant y, changing x) with no kernel
  messages, and it ends at x = 1.2.
- Voilà, the same notebook's last widget (view="both"): the WebGL surface really
  draws (many colours, not a blank box) beside the map, and playback moves its frame
  and current points.

Every position is read from the SVG (bqplot marks, axis ticks) or from the surface's
data attributes, and converted to data coordinates with the figure's own axis ticks.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page

from jaxgrad_widgets.widgets.palette import LOCK_COLOR, START_COLORS, TANGENT_COLOR

from .pages import (
    assert_no_console_errors,
    count_kernel_frames,
    open_lab_notebook,
    open_voila,
    run_all_cells_lab,
)


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


TANGENT_RGB = _rgb(TANGENT_COLOR)
LOCK_RGB = _rgb(LOCK_COLOR)
START0_RGB = _rgb(START_COLORS[0])

# ------------------------------------------------------------------------ SVG reading

#: Centre of a scatter dot, in the coordinates of the figure's plot area: the
#: ``translate`` of its ``g.object_grp`` (bqplot moves the group, not the path).
_DOT_CENTRE_JS = """
(dot) => {
  const g = dot.closest('g.object_grp') || dot.parentNode;
  const m = /translate\\(\\s*([-\\d.e]+)[\\s,]+([-\\d.e]+)\\s*\\)/.exec(
      g.getAttribute('transform') || '');
  return m ? [parseFloat(m[1]), parseFloat(m[2])] : null;
}
"""

#: Scatter dots of a figure filled with ``rgb`` and outlined ``width`` px wide.
_DOTS_JS = """
(fig, [rgb, width]) => Array.from(fig.querySelectorAll('path.dot')).filter(p => {
  const style = p.getAttribute('style') || '';
  return style.includes('fill: ' + rgb + ';')
      && new RegExp('stroke-width: ' + width.replace('.', '\\\\.') + '(;|$)').test(style);
})
"""

#: The centre of the only dot of ``fig`` with that fill and outline, else null.
_DOT_JS = f"""
(fig, [rgb, width]) => {{
  const dots = ({_DOTS_JS})(fig, [rgb, width]);
  return dots.length === 1 ? ({_DOT_CENTRE_JS})(dots[0]) : null;
}}
"""

#: ``d`` of the mark lines (not legend samples) of ``fig`` whose style contains ``style``.
_LINES_JS = """
(fig, style) => Array.from(fig.querySelectorAll('path.line'))
  .filter(p => !p.closest('.g_legend') && (p.getAttribute('style') || '').includes(style))
  .map(p => p.getAttribute('d'))
"""

#: Tick positions and labels of each axis of a figure, in plot-area coordinates.
_TICKS_JS = """
(fig) => Array.from(fig.querySelectorAll('g.axis')).map(axis =>
  Array.from(axis.querySelectorAll('g.tick')).map(tick => {
    const m = /translate\\(\\s*([-\\d.e]+)[\\s,]+([-\\d.e]+)\\s*\\)/.exec(
        tick.getAttribute('transform') || '');
    return m ? [parseFloat(m[1]), parseFloat(m[2]), tick.textContent.replace('\\u2212', '-')]
             : null;
  }).filter(t => t !== null && t[2].trim() !== ''))
"""


class AxisMap:
    """Pixel <-> data along one axis, fitted to the axis's own tick labels."""

    def __init__(self, pixels: list[float], values: list[float]) -> None:
        assert len(pixels) >= 3, f"too few ticks to read the axis: {pixels}, {values}"
        n = len(pixels)
        mean_p, mean_v = sum(pixels) / n, sum(values) / n
        cov = sum((p - mean_p) * (v - mean_v) for p, v in zip(pixels, values, strict=True))
        var = sum((p - mean_p) ** 2 for p in pixels)
        self.slope = cov / var  # data per pixel
        self.offset = mean_v - self.slope * mean_p
        residual = max(abs(self.to_data(p) - v) for p, v in zip(pixels, values, strict=True))
        assert residual < 0.01 * abs(self.slope) * var**0.5, "the axis ticks are not linear"

    def to_data(self, pixel: float) -> float:
        return self.slope * pixel + self.offset


def axis_maps(fig: Locator) -> tuple[AxisMap, AxisMap]:
    """(x, y) pixel<->data maps of a bqplot figure (bottom axis first, then left)."""
    axes = fig.evaluate(_TICKS_JS)
    maps = []
    for index, ticks in enumerate(axes[:2]):
        pixels = [t[index] for t in ticks]  # x ticks move in x, y ticks in y
        maps.append(AxisMap(pixels, [float(t[2]) for t in ticks]))
    return maps[0], maps[1]


def dot_centre(fig: Locator, rgb: str, stroke_width: str) -> list[float] | None:
    return fig.evaluate(_DOT_JS, [rgb, stroke_width])


def line_paths(fig: Locator, style: str) -> list[str]:
    return fig.evaluate(_LINES_JS, style)


def path_points(d: str) -> list[tuple[float, float]]:
    """The vertices of an SVG path made of M and L commands."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def page_point(fig: Locator, point: list[float]) -> tuple[float, float]:
    """Plot-area coordinates of ``fig`` -> page coordinates (for the mouse)."""
    box = fig.locator(".plotarea_events").first.bounding_box()
    return box["x"] + point[0], box["y"] + point[1]


# ------------------------------------------------------------------------ derivatives

#: The parabola's widget is the only DerivativeWidget of order 2 in the notebook.
PARABOLA = ".jgw-derivative:has(.jgw-derivative-2)"
TANGENT_STYLE = f"stroke: {TANGENT_RGB}; stroke-width: 2; stroke-dasharray: none"


def readout_values(root: Locator) -> tuple[float, dict[str, tuple[float, float]]]:
    """(data-x, {name: (x shown, value)}) of the readout table."""
    table = root.locator(".jgw-readout").first
    data_x = float(table.get_attribute("data-x"))
    shown = {}
    for name, x, value in re.findall(r"(f[′″]?)\(([^)]+)\) = ([-\d.e+]+)", table.inner_text()):
        shown[name] = (float(x.replace("−", "-")), float(value))
    return data_x, shown


def test_derivative_drag_moves_tangent_and_readout(
    page, jupyter_server, example_notebooks, screenshot
):
    open_lab_notebook(page, jupyter_server, example_notebooks["derivatives"].name)
    run_all_cells_lab(page)
    root = page.locator(PARABOLA)
    assert root.count() == 1
    fig = root.locator(".jgw-derivative-0")
    fig.scroll_into_view_if_needed()
    x_axis, y_axis = axis_maps(fig)

    # As built: x = 3, f′(3) = 22, the marker at (3, f(3) = 36) on screen.
    data_x, shown = readout_values(root)
    assert data_x == 3.0 and shown["f′"] == (3.0, 22.0), shown
    marker = dot_centre(fig, TANGENT_RGB, "1.5")
    assert marker is not None, "no orange x marker in the f panel"
    assert abs(x_axis.to_data(marker[0]) - 3.0) < 0.02
    assert abs(y_axis.to_data(marker[1]) - 36.0) < 0.5
    (tangent_before,) = line_paths(fig, TANGENT_STYLE)
    screenshot(page, "before")

    # Drag the marker 180 px to the left, as a user would.
    x0, y0 = page_point(fig, marker)
    dx = -180
    with count_kernel_frames(page) as frames:
        page.mouse.move(x0, y0)
        page.mouse.down()
        for i in range(1, 13):
            page.mouse.move(x0 + dx * i / 12, y0 + 3 * i / 12)  # a hand is not level
            page.wait_for_timeout(25)
        page.mouse.up()
        page.wait_for_function(
            "(el) => parseFloat(el.getAttribute('data-x')) < 3",
            arg=root.locator(".jgw-readout").first.element_handle(),
        )
        frames.wait_until_quiet(quiet_ms=400)
    assert frames.sent >= 1, "the drag sent nothing to the kernel"

    data_x, shown = readout_values(root)
    dropped = x_axis.to_data(marker[0] + dx)
    assert abs(data_x - dropped) < 0.05, (data_x, dropped)
    assert data_x < 2.0
    # The readout: x shown to 4 significant digits, f′ = 6x + 4, f = 3x² + 4x − 3, f″ = 6.
    x_shown, slope = shown["f′"]
    assert abs(x_shown - data_x) <= 5e-4 * max(1.0, abs(data_x)), (x_shown, data_x)
    assert abs(slope - (6 * data_x + 4)) < 2e-3, (slope, data_x)
    assert abs(shown["f"][1] - (3 * data_x**2 + 4 * data_x - 3)) < 2e-3, shown
    assert shown["f″"][1] == 6.0, shown
    tangent_text = root.locator(".jgw-tangent").first.inner_text()
    assert f"{slope:.4g}" in tangent_text, tangent_text

    # The tangent was redrawn and still touches the curve at the marker, which Python
    # put back on the curve at the new x.
    (tangent_after,) = line_paths(fig, TANGENT_STYLE)
    assert tangent_after != tangent_before
    marker = dot_centre(fig, TANGENT_RGB, "1.5")
    assert abs(x_axis.to_data(marker[0]) - data_x) < 0.02
    assert abs(y_axis.to_data(marker[1]) - shown["f"][1]) < 0.5
    (ax, ay), (bx, by) = path_points(tangent_after)[:2]
    on_tangent = ay + (by - ay) * (marker[0] - ax) / (bx - ax)
    assert abs(on_tangent - marker[1]) < 1.5, (on_tangent, marker)
    # Its slope on screen is f′ in data units.
    screen_slope = (by - ay) / (bx - ax) * y_axis.slope / x_axis.slope
    assert abs(screen_slope - slope) < 0.02 * max(1.0, abs(slope)), (screen_slope, slope)
    screenshot(page, "after")
    assert_no_console_errors(page)


# ------------------------------------------------------------------------ the robot

ROOT = ".jgw-grad-descent"
LOCK_STYLE = f"stroke: {LOCK_RGB}; stroke-width: 2; stroke-dasharray: 10, 10"


@pytest.fixture(scope="module")
def robot_voila(module_voila_server, example_notebooks):
    """One Voilà server for the robot notebook (each page load runs it in a new kernel)."""
    return module_voila_server(example_notebooks["one_axis_robot"])


def transport(widget: Locator) -> Locator:
    return widget.locator("[data-testid='jgw-transport']").first


def play_at(page: Page, widget: Locator, fps: int) -> Locator:
    """Choose the speed, press Play and wait until the kernel heard of it and went quiet.

    Play sends one message (frame 0, playing); its echo comes back. After that,
    playback itself must send and receive nothing.
    """
    bar = transport(widget)
    bar.locator("[data-testid='jgw-speed']").select_option(str(fps))
    with count_kernel_frames(page) as frames:
        bar.locator("[data-testid='jgw-play']").click()
        page.wait_for_function(
            "(bar) => bar.getAttribute('data-playing') === 'true'", arg=bar.element_handle()
        )
        frames.wait_until_quiet(quiet_ms=300)
    assert frames.sent >= 1, "Play told the kernel nothing"
    return bar


def finish_playback(page: Page, bar: Locator) -> None:
    """Speed up to the fastest setting and wait for the end of playback."""
    bar.locator("[data-testid='jgw-speed']").select_option("600")
    page.wait_for_function(
        "(bar) => bar.getAttribute('data-playing') === 'false'",
        arg=bar.element_handle(),
        timeout=15_000,
    )
    last = int(bar.get_attribute("data-n-frames")) - 1
    assert int(bar.get_attribute("data-frame")) == last


def final_point(widget: Locator, start: int = 0) -> tuple[float, ...]:
    """The final point the status table shows for a start, e.g. (1.2, 1.2)."""
    text = widget.locator(f".jgw-status-table tr[data-start='{start}']").first.inner_text()
    match = re.search(r"\(([^)]*)\)", text)
    assert match, text
    return tuple(float(v) for v in match.group(1).split(","))


#: Whether a figure shows a mark line whose style contains ``style``: bqplot hides a
#: mark with ``display: none`` on its group (which checkVisibility does not see in SVG).
_SHOWN_LINE_JS = """
(fig, style) => Array.from(fig.querySelectorAll('path.line')).some(p => {
  if (p.closest('.g_legend') || !(p.getAttribute('style') || '').includes(style)) return false;
  for (let e = p; e && e !== fig; e = e.parentElement) {
    if (getComputedStyle(e).display === 'none') return false;
  }
  return true;
})
"""

LOCK_CELL = """from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
GradDescentWidget(goldfield, start=(0.5, 0.5))"""


def test_lock_controls_in_the_browser(page, jupyter_server, make_notebook, screenshot):
    """The lock menu locks y where the start is: the dashed line, the slice and the "at"
    slider appear; the slider moves the line; "none" takes all three away again."""
    open_lab_notebook(page, jupyter_server, make_notebook("lock_lab", [LOCK_CELL]).name)
    run_all_cells_lab(page)
    root = page.locator(ROOT).first
    fig = root.locator(".jgw-map").first
    fig.locator("path.line").first.wait_for()
    fig.scroll_into_view_if_needed()
    x_axis, y_axis = axis_maps(fig)
    label = page.locator("label", has_text=re.compile(r"^at$"))
    at = root.locator(".widget-slider").filter(has=label)
    assert line_paths(fig, LOCK_STYLE) == [] and at.count() == 0
    assert root.locator(".jgw-slice").count() == 0

    root.locator(".widget-dropdown", has_text="lock").locator("select").select_option(
        label="y (move along x)"
    )
    page.wait_for_function(f"(fig) => ({_LINES_JS})(fig, {json.dumps(LOCK_STYLE)}).length === 1",
                           arg=fig.element_handle())  # fmt: skip
    (lock_d,) = line_paths(fig, LOCK_STYLE)
    assert fig.evaluate(_SHOWN_LINE_JS, LOCK_STYLE), "the locked line is hidden"
    (_, ly0), (_, ly1) = path_points(lock_d)[:2]
    assert ly0 == ly1 and abs(y_axis.to_data(ly0) - 0.5) < 0.02, lock_d  # where the start is
    slice_fig = root.locator(".jgw-slice").first
    slice_fig.wait_for()
    assert slice_fig.bounding_box()["y"] > fig.bounding_box()["y"] + 100  # under the map
    status = root.locator(".jgw-status-line").first
    assert "y locked" in status.inner_text()
    screenshot(page, "locked")

    # The "at" slider to its end: the line moves to the top of the map.
    at.first.locator(".noUi-handle").press("End")
    page.wait_for_function(
        f"([fig, d]) => ({_LINES_JS})(fig, {json.dumps(LOCK_STYLE)})[0] !== d",
        arg=[fig.element_handle(), lock_d],
    )
    (moved_d,) = line_paths(fig, LOCK_STYLE)
    shown = float(at.first.locator(".widget-readout").inner_text())
    moved_y = y_axis.to_data(path_points(moved_d)[0][1])
    assert shown > 0.5 and abs(moved_y - shown) < 0.02, (moved_y, shown)
    assert x_axis.to_data(path_points(moved_d)[0][0]) < x_axis.to_data(path_points(moved_d)[1][0])

    # "none": no line, no slice, no slider.
    root.locator(".widget-dropdown", has_text="lock").locator("select").select_option(label="none")
    page.wait_for_function(f"([fig, style]) => !({_SHOWN_LINE_JS})(fig, style)",
                           arg=[fig.element_handle(), LOCK_STYLE])  # fmt: skip
    root.locator(".jgw-slice").wait_for(state="detached")
    assert at.count() == 0
    assert_no_console_errors(page)


def test_robot_moves_along_the_locked_line(page, robot_voila, screenshot):
    open_voila(page, robot_voila.url)
    robot = page.locator(ROOT).first
    fig = robot.locator(".jgw-map").first
    fig.scroll_into_view_if_needed()
    x_axis, y_axis = axis_maps(fig)

    # The locked line: dashed, shown, across the whole map at y = 1.2.
    (lock_d,) = line_paths(fig, LOCK_STYLE)
    assert fig.evaluate(_SHOWN_LINE_JS, LOCK_STYLE), "the locked line is hidden"
    (lx0, ly0), (lx1, ly1) = path_points(lock_d)[:2]
    assert ly0 == ly1, lock_d
    assert abs(y_axis.to_data(ly0) - 1.2) < 0.01
    assert abs(x_axis.to_data(lx0) + 2.0) < 0.01 and abs(x_axis.to_data(lx1) - 2.0) < 0.01

    # The slice panel f(x, 1.2), under the map, with the robot's current point on it.
    slice_fig = robot.locator(".jgw-slice").first
    assert slice_fig.is_visible()
    box = slice_fig.bounding_box()
    assert box["height"] > 200 and box["width"] > 300, box
    assert box["y"] > fig.bounding_box()["y"] + 100, "the slice should be under the map"
    assert dot_centre(slice_fig, START0_RGB, "1") is not None

    # Before playing the widget shows the end: the robot stopped at x = 1.2, on the line.
    end = dot_centre(fig, START0_RGB, "1")
    assert end is not None, "no current point of start 0 on the map"
    assert abs(x_axis.to_data(end[0]) - 1.2) < 0.02, x_axis.to_data(end[0])
    assert abs(end[1] - ly0) <= 1.0
    row = robot.locator(".jgw-status-table tr[data-start='0']").first.inner_text()
    assert "(1.2, 1.2)" in row, row
    x_final, y_final = final_point(robot)
    assert abs(x_final - 1.2) < 0.005 and y_final == 1.2, (x_final, y_final)
    screenshot(page, "rendered")

    # Play (slowly, so a second of samples sees it roll): the point slides along the
    # locked line, and the browser draws it without a single kernel message.
    bar = play_at(page, robot, fps=15)
    samples, slice_xs, shown_frames = [], [], []
    with count_kernel_frames(page, settle_ms=0) as frames:
        for _ in range(8):
            samples.append(dot_centre(fig, START0_RGB, "1"))
            slice_xs.append((dot_centre(slice_fig, START0_RGB, "1") or [None])[0])
            shown_frames.append(int(bar.get_attribute("data-frame")))
            page.wait_for_timeout(120)
        playing = bar.get_attribute("data-playing")
    assert frames.total == 0, frames.msg_types()
    assert playing == "true", f"playback stopped early (frames {shown_frames})"
    assert None not in samples, samples
    xs, ys = [p[0] for p in samples], [p[1] for p in samples]
    assert max(ys) - min(ys) <= 1.0, f"the robot left its line: y = {ys}"
    assert abs(ys[0] - ly0) <= 1.0, (ys, ly0)
    assert len(set(xs)) >= 4, f"the robot hardly moved: x = {xs} (frames {shown_frames})"
    assert xs == sorted(xs) and xs[-1] - xs[0] > 5, xs  # rolling right, towards 1.2
    assert all(0.1 - 0.02 < x_axis.to_data(x) < 1.2 + 0.02 for x in xs), xs
    assert len(set(slice_xs)) >= 4, f"the slice's point did not move: {slice_xs}"
    screenshot(page, "playing")

    finish_playback(page, bar)
    end = dot_centre(fig, START0_RGB, "1")
    assert abs(x_axis.to_data(end[0]) - 1.2) < 0.02 and abs(end[1] - ly0) <= 1.0, end
    assert_no_console_errors(page)


# ------------------------------------------------------------------------ the surface


def distinct_colours(png: bytes) -> tuple[int, float]:
    """(number of distinct colours, share of pixels not of the commonest colour)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = image.getcolors(maxcolors=image.width * image.height)
    commonest = max(c for c, _ in counts)
    return len(counts), 1.0 - commonest / (image.width * image.height)


def test_surface_draws_beside_the_map_and_plays(page, robot_voila, screenshot):
    open_voila(page, robot_voila.url)
    widgets = page.locator(ROOT)
    assert widgets.count() == 2
    both = widgets.nth(1)  # view="both"
    surface = both.locator("[data-testid='jgw-surface']")
    assert both.locator("[data-testid='jgw-surface-fallback']").count() == 0
    surface.scroll_into_view_if_needed()
    page.wait_for_function("(el) => parseInt(el.dataset.draws) > 0", arg=surface.element_handle())

    # The map beside the surface, on the same row.
    fig = both.locator(".jgw-map").first
    assert fig.is_visible()
    map_box, surface_box = fig.bounding_box(), surface.bounding_box()
    assert surface_box["width"] > 300 and surface_box["height"] > 300, surface_box
    assert abs(map_box["y"] - surface_box["y"]) < 60, (map_box, surface_box)
    assert map_box["x"] + map_box["width"] <= surface_box["x"] + 2, (map_box, surface_box)

    # The canvas really shows a shaded surface, not a blank box.
    canvas = surface.locator("canvas").first
    at_end = canvas.screenshot()
    colours, covered = distinct_colours(at_end)
    assert colours > 500 and covered > 0.15, (colours, covered)
    screenshot(page, "rendered")

    def state() -> tuple[int, list[dict]]:
        frame, current = surface.evaluate("el => [el.dataset.frame, el.dataset.current]")
        return int(frame), json.loads(current)

    frame, current = state()
    assert frame == 300 and len(current) == 2, (frame, current)
    assert abs(current[0]["x"] - 1.0) < 0.01 and abs(current[0]["y"] - 1.0) < 0.01, current

    # Play: the surface follows the Player frame by frame, in the browser alone.
    bar = play_at(page, both, fps=30)
    samples = []
    with count_kernel_frames(page, settle_ms=0) as frames:
        during = canvas.screenshot()  # early on: both paths still short
        for _ in range(6):
            samples.append(state())
            page.wait_for_timeout(120)
        playing = bar.get_attribute("data-playing")
    assert frames.total == 0, frames.msg_types()
    assert playing == "true"
    assert samples[0][0] < 240, samples[0][0]  # before both paths settle at step 250
    shown = [f for f, _ in samples]
    assert shown == sorted(shown) and len(set(shown)) >= 4 and shown[-1] < 300, shown
    points = [(c[0]["step"], c[0]["sx"], c[0]["sy"]) for _, c in samples]
    assert len(set(points)) >= 4, f"the current point did not move: {points}"
    assert all(c[0]["step"] == f for f, c in samples), samples
    assert during != at_end, "the canvas did not change during playback"
    screenshot(page, "playing")

    finish_playback(page, bar)
    assert surface.get_attribute("data-frame") == "300"
    assert_no_console_errors(page)
