"""Whole families on the dashboard, in JupyterLab and Voilà: the sweep and the basins.

The sweep's toggle shows final loss against learning rate for every start, with the
stability limit theory predicts; a click in it sets the learning rate, and the map's
path follows. The basins' toggle paints the map by the minimum each point's run
reaches (a picture the browser paints from one byte per point), and a new learning
rate repaints it.
"""

from __future__ import annotations

import math
import re

from playwright.sync_api import Page

from jaxgrad_widgets.widgets.palette import FRAME_MARKER_COLOR, START_COLORS

from .pages import assert_no_console_errors, open_lab_notebook, open_voila, run_all_cells_lab
from .test_dashboard import (
    ROOT,
    _rgb,
    path_d,
    set_learning_rate,
    wait_for_dashboard,
    wait_path_change,
)

CELL = """\
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.5, -0.5)], learning_rate=0.05)
w"""

SWEEP = f"{ROOT} .jgw-sweep"
STATUS_LINE = f"{ROOT} .jgw-status-line"

_SWEEP_LINE_JS = """([sel, rgb]) => {
  const fig = document.querySelector(sel);
  if (!fig) return null;
  const lines = Array.from(fig.querySelectorAll('path.line'))
    .filter(p => (p.getAttribute('style') || '').includes('stroke: ' + rgb));
  return lines.length ? lines[0].getAttribute('d') : null;
}"""


def _sweep_line(page: Page, color: str) -> str | None:
    return page.evaluate(_SWEEP_LINE_JS, [SWEEP, _rgb(color)])


def _first_x(d: str) -> float:
    return float(re.match(r"M\s*([-\d.e]+)", d).group(1))


def check_sweep(page: Page) -> None:
    page.locator(f"{ROOT} button", has_text="rate sweep").first.click()
    # One curve per start, in the start's colour, across the slider's 601 rates.
    for start in range(2):
        page.wait_for_function(
            f"([sel, rgb]) => {{ const d = ({_SWEEP_LINE_JS})([sel, rgb]);"
            " return d !== null && d.split('L').length > 500; }",
            arg=[SWEEP, _rgb(START_COLORS[start])],
            timeout=30_000,
        )
    sweep = page.locator(SWEEP).first
    sweep.scroll_into_view_if_needed()
    page.get_by_text("2 / λmax = 0.146").first.wait_for()
    marker = _sweep_line(page, FRAME_MARKER_COLOR)
    assert marker is not None

    # A click halfway across the plot: 10 ** -2 on axes from 10 ** -5 to 10 ** 1.
    before = path_d(page, 0)
    box = sweep.locator(".plotarea_events").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    wait_path_change(page, 0, before)
    page.wait_for_function(
        "(sel) => /learning rate 0\\.0(09|1)/.test(document.querySelector(sel).innerText)",
        arg=STATUS_LINE,
        timeout=15_000,
    )
    entry = page.locator(f"{ROOT} .jgw-controls .jgw-entry input").first
    # Within a slider position of 0.01 (the plot's pixels are not the grid's).
    assert abs(math.log10(float(entry.input_value())) + 2) <= 0.0101
    # The marker moved to the clicked rate; the curves did not change.
    page.wait_for_function(
        f"([sel, rgb, old]) => ({_SWEEP_LINE_JS})([sel, rgb]) !== old",
        arg=[SWEEP, _rgb(FRAME_MARKER_COLOR), marker],
    )
    moved = _first_x(_sweep_line(page, FRAME_MARKER_COLOR))
    plot = sweep.locator(".plotarea_events").first
    width = plot.bounding_box()["width"]
    assert abs(moved - width * 0.5) < 3, (moved, width)


_IMAGES_JS = """(root) => Array.from(
  document.querySelector(root).querySelectorAll('.jgw-map image:not(.heatmap)'))
  .map(i => [i.getAttribute('href') || '', i.getBoundingClientRect().width])"""


def _basin_picture(page: Page) -> tuple[str, float] | None:
    """The map's painted picture (a PNG data URL) and its width on screen."""
    pictures = [(h, w) for h, w in page.evaluate(_IMAGES_JS, ROOT)
                if h.startswith("data:image/png")]  # fmt: skip
    return pictures[0] if pictures else None


def _wait_basins(page: Page, old: str | None) -> str:
    page.wait_for_function(
        f"([root, old]) => ({_IMAGES_JS})(root).some(([h, w]) =>"
        " h.startsWith('data:image/png') && h !== old && w > 100)",
        arg=[ROOT, old],
        timeout=30_000,
    )
    return _basin_picture(page)[0]


def check_basins(page: Page) -> None:
    assert _basin_picture(page) is None
    page.locator(f"{ROOT} button", has_text="basins").first.click()
    first = _wait_basins(page, None)
    legend = page.locator(f"{ROOT} .jgw-basins-legend").first
    legend.get_by_text("(1.00, 1.00)").first.wait_for()
    legend.get_by_text("(-1.00, -1.00)").first.wait_for()
    legend.get_by_text("diverged").first.wait_for()
    # A learning rate that diverges far from the minima repaints the map.
    set_learning_rate(page, "0.2")
    _wait_basins(page, first)
    # Off again: the picture goes.
    page.locator(f"{ROOT} button", has_text="basins").first.click()
    page.wait_for_function(
        f"(root) => !({_IMAGES_JS})(root).some(([h, w]) => h.startsWith('data:image/png')"
        " && w > 0)",
        arg=ROOT,
    )


def test_sweep_and_basins_in_jupyterlab(page, jupyter_server, make_notebook, screenshot):
    path = make_notebook("sweep_lab", [CELL])
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    check_sweep(page)
    screenshot(page)
    check_basins(page)
    assert_no_console_errors(page)


def test_sweep_and_basins_in_voila(page, voila_server, make_notebook, screenshot):
    server = voila_server(make_notebook("sweep_voila", [CELL]))
    open_voila(page, server.url)
    wait_for_dashboard(page)
    check_sweep(page)
    screenshot(page)
    check_basins(page)
    assert_no_console_errors(page)
