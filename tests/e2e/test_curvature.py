"""Curvature you can see, in JupyterLab and Voilà: critical points by kind on the map
(hover one for its Hessian's eigenvalues), and a run that stops at a saddle saying so."""

from __future__ import annotations

from playwright.sync_api import Page

from .pages import assert_no_console_errors, open_lab_notebook, open_voila, run_all_cells_lab
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
    line = page.locator(f"{ROOT} .jgw-status-line").first
    for label in ("Newton's method", "saddle-free Newton"):
        before = path_d(page, 0)
        menu.select_option(label=label)
        wait_path_change(page, 0, before)
        page.wait_for_function(
            "([el, text]) => el.innerText.startsWith(text)",
            arg=[line.element_handle(), f"{label}, learning rate 1, 300 steps"],
        )


def test_critical_points_in_jupyterlab(page, jupyter_server, make_notebook, screenshot):
    path = make_notebook("curvature_lab", CELLS)
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    check_critical_points(page)
    screenshot(page)
    assert_no_console_errors(page)


def test_critical_points_in_voila(page, voila_server, make_notebook, screenshot):
    server = voila_server(make_notebook("curvature_voila", CELLS))
    open_voila(page, server.url)
    wait_for_dashboard(page)
    check_critical_points(page)
    screenshot(page)
    assert_no_console_errors(page)
