"""Curvature you can see, in JupyterLab and Voilà: critical points by kind on the map
(hover one for its Hessian's eigenvalues), a run that stops at a saddle saying so, and
the Hessian's axes at the current points following playback in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from jaxgrad_widgets.widgets.palette import CURVATURE_COLORS

from .pages import (
    assert_no_console_errors,
    count_kernel_frames,
    open_lab_notebook,
    open_voila,
    run_all_cells_lab,
)
from .test_dashboard import ROOT, path_d, wait_for_dashboard, wait_path_change

CELLS = [
    """\
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
w = GradDescentWidget(goldfield, start=(1.5, -1.5), learning_rate=0.05)
w""",
    """\
saddle = GradDescentWidget(lambda x, y: x**2 - y**2, start=(1.0, 0.0), learning_rate=0.1,
                           bounds=[(-2, 2), (-2, 2)])
saddle""",
]


def _hover_map_point(page: Page, index: int, x: float, y: float) -> None:
    """Move the mouse over map point (x, y) of dashboard ``index`` (a view of [-2, 2]²)."""
    area = page.locator(f"{ROOT} .jgw-map .plotarea_events").nth(index)
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    page.mouse.move(box["x"] + box["width"] * (x + 2) / 4, box["y"] + box["height"] * (2 - y) / 4)


def check_critical_points(page: Page) -> None:
    legend = page.locator(f"{ROOT} .jgw-critical-legend").first
    legend.get_by_text("◆ saddle").wait_for()
    assert "▲ maximum" not in legend.inner_text()
    tooltip = page.locator(".bqplot_tooltip_div .tooltiptext")
    _hover_map_point(page, 0, 0.0, 0.0)
    tooltip.get_by_text("saddle (0, 0): Hessian eigenvalues -2.47, 6.47").wait_for()
    _hover_map_point(page, 0, -1.0, -1.0)  # (1, 1) is under the run's end
    tooltip.get_by_text("minimum (-1, -1): Hessian eigenvalues 2.34, 13.7").wait_for()
    # The run into x² − y²'s saddle says where it stopped, not "converged".
    row = page.locator(f"{ROOT} .jgw-status-table tr[data-state='stopped']").first
    row.wait_for()
    assert "stopped at a saddle point at step" in row.inner_text()
    # goldfield's run converged to a minimum: its speed there, predicted and measured.
    speed = page.locator(f"{ROOT} .jgw-status-table .jgw-speed").first
    assert speed.inner_text().startswith("κ 5.83, 0.883 / 0.88")

    # Newton's methods in the optimizer menu, each with a full step.
    menu = page.locator(f"{ROOT} .jgw-controls select").filter(has_text="gradient descent").first
    # The line is found anew each time: every message redraws it (a new element).
    line = page.locator(f"{ROOT} .jgw-status-line").first
    for label in ("Newton's method", "saddle-free Newton"):
        before = path_d(page, 0)
        menu.select_option(label=label)
        wait_path_change(page, 0, before)
        expect(line).to_have_text(re.compile(f"^{re.escape(label)}, learning rate 1, 300 steps"))


#: The d of dashboard ``index``'s curvature axes mark drawn in ``color`` ("" when the
#: mark is hidden or empty; null when there is no such mark).
_AXES_D_JS = """([index, rgb]) => {
  const map = document.querySelectorAll('.jgw-grad-descent')[index].querySelector('.jgw-map');
  const mark = Array.from(map.querySelectorAll('path.line')).find(p => {
    const style = p.getAttribute('style') || '';
    return style.includes('stroke: ' + rgb) && style.includes('stroke-width: 2.5');
  });
  if (!mark) return null;
  for (let el = mark; el && el !== map; el = el.parentElement) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return '';
  }
  return mark.getAttribute('d') || '';
}"""


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _axes_d(page: Page, index: int, kind: str) -> str | None:
    return page.evaluate(_AXES_D_JS, [index, _rgb(CURVATURE_COLORS[kind])])


def _wait_axes(page: Page, index: int, kind: str, not_equal: str | None = "") -> str:
    page.wait_for_function(
        f"(args) => {{ const d = ({_AXES_D_JS})(args.slice(0, 2)); "
        "return d !== null && d !== '' && d !== args[2]; }",
        arg=[index, _rgb(CURVATURE_COLORS[kind]), not_equal],
    )
    return _axes_d(page, index, kind)


def check_curvature_axes(page: Page) -> None:
    """The toggle draws the Hessian's axes; they follow playback with no kernel message,
    and a saddle's downward direction is drawn dashed; toggled off, they go."""
    toggles = page.locator(f"{ROOT} button", has_text="curvature")
    assert _axes_d(page, 0, "positive") == ""  # off until asked for
    toggles.nth(0).click()
    page.locator(f"{ROOT} .jgw-curvature-legend").first.wait_for()
    at_end = _wait_axes(page, 0, "positive")
    assert at_end.count("M") == 2  # two axes curving up at the minimum (1, 1)
    # Playback: the cross moves with the current point, all in the browser.
    bar = page.locator(f"{ROOT} [data-testid='jgw-transport']").first
    bar.locator("[data-testid='jgw-reset']").click()
    at_start = _wait_axes(page, 0, "positive", not_equal=at_end)
    with count_kernel_frames(page, settle_ms=0) as settling:
        settling.wait_until_quiet(quiet_ms=1000, timeout_ms=60_000)
    bar.locator("[data-testid='jgw-play']").click()
    page.wait_for_function("(bar) => bar.getAttribute('data-playing') === 'true'",
                           arg=bar.element_handle())  # fmt: skip
    page.wait_for_timeout(300)  # the one "playing" message goes out at the start
    seen = set()
    with count_kernel_frames(page, settle_ms=0) as frames:
        for _ in range(8):
            seen.add(_axes_d(page, 0, "positive"))
            page.wait_for_timeout(120)
    assert frames.total == 0, frames.msg_types()
    assert len(seen - {at_start, at_end, "", None}) >= 3, "the axes did not follow playback"
    # x**2 - y**2 curves down along y everywhere: dashed, in its own colour.
    toggles.nth(1).click()
    down = _wait_axes(page, 1, "negative")
    assert down.count("M") == 1
    style = page.evaluate(
        """([rgb]) => Array.from(document.querySelectorAll('.jgw-grad-descent')[1]
             .querySelectorAll('.jgw-map path.line'))
             .map(p => p.getAttribute('style') || '').find(s => s.includes('stroke: ' + rgb))""",
        [_rgb(CURVATURE_COLORS["negative"])],
    )
    assert "stroke-dasharray: none" not in style
    toggles.nth(1).click()
    page.wait_for_function(f"(args) => ({_AXES_D_JS})(args) === ''",
                           arg=[1, _rgb(CURVATURE_COLORS["negative"])])  # fmt: skip


def test_critical_points_in_jupyterlab(page, jupyter_server, make_notebook, screenshot):
    path = make_notebook("curvature_lab", CELLS)
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    check_curvature_axes(page)
    check_critical_points(page)
    screenshot(page)
    assert_no_console_errors(page)


def test_critical_points_in_voila(page, voila_server, make_notebook, screenshot):
    server = voila_server(make_notebook("curvature_voila", CELLS))
    open_voila(page, server.url)
    wait_for_dashboard(page)
    check_curvature_axes(page)
    check_critical_points(page)
    screenshot(page)
    assert_no_console_errors(page)
