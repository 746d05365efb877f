"""GradDescentWidget in a real browser: JupyterLab, Notebook 7 and Voilà.

What a user sees: the dashboard renders without errors from our code; dragging a
start redraws its path; a click on the map adds a start and a path; the learning
rate slider changes the path and the status; Play animates in the browser without
kernel messages; a learning rate of 1 shows "diverged".
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from jaxgrad_widgets.widgets.palette import START_COLORS

from .pages import (
    assert_no_console_errors,
    count_kernel_frames,
    open_lab_notebook,
    open_notebook7,
    open_voila,
    run_all_cells_lab,
    run_all_cells_notebook7,
)

ROOT = ".jgw-grad-descent"


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


_PATH_D_JS = """([root, rgb]) => {
  const fig = document.querySelectorAll(root)[0].querySelector('.jgw-map');
  const lines = Array.from(fig.querySelectorAll('path.line'))
    .filter(p => (p.getAttribute('style') || '').includes('stroke: ' + rgb));
  return lines.length ? lines[0].getAttribute('d') : null;
}"""

_START_MARKERS_JS = """(root) => {
  const fig = document.querySelectorAll(root)[0].querySelector('.jgw-map');
  // The start markers are the only dots drawn with a 1.5 px outline.
  return Array.from(fig.querySelectorAll('path.dot'))
    .filter(p => (p.getAttribute('style') || '').includes('stroke-width: 1.5'))
    .map(p => { const r = p.getBoundingClientRect();
                return [r.x + r.width / 2, r.y + r.height / 2]; });
}"""


def path_d(page: Page, start: int) -> str | None:
    """The SVG path of start number ``start`` (found by its palette colour)."""
    return page.evaluate(_PATH_D_JS, [ROOT, _rgb(START_COLORS[start])])


def wait_path_change(page: Page, start: int, old: str | None, timeout: float = 15_000) -> str:
    page.wait_for_function(
        f"([root, rgb, old]) => {{ const d = ({_PATH_D_JS})([root, rgb]);"
        " return d !== null && d !== old && d.length > 20; }",
        arg=[ROOT, _rgb(START_COLORS[start]), old],
        timeout=timeout,
    )
    return path_d(page, start)


def start_markers(page: Page) -> list[list[float]]:
    return page.evaluate(_START_MARKERS_JS, ROOT)


def status_text(page: Page) -> str:
    return page.locator(f"{ROOT} .jgw-status-table").first.inner_text()


def wait_for_dashboard(page: Page) -> None:
    page.locator(ROOT).first.wait_for()
    page.wait_for_function(f"() => ({_PATH_D_JS})(['{ROOT}', '{_rgb(START_COLORS[0])}'])"
                           " !== null", timeout=30_000)  # fmt: skip
    page.locator(f"{ROOT} .jgw-status-table tbody tr").first.wait_for()


_FAMILIES_DONE_JS = """() => {
  // goldfield.ipynb's "whole families" dashboard: its sweep drawn and its basins painted.
  const shown = Array.from(document.querySelectorAll('.jgw-grad-descent'))
    .filter(root => root.querySelector('.jgw-sweep'));
  return shown.length > 0 && shown.every(root =>
    Array.from(root.querySelectorAll('.jgw-sweep path.line'))
      .some(p => (p.getAttribute('d') || '').split('L').length > 100)
    && Array.from(root.querySelectorAll('.jgw-map image:not(.heatmap)'))
      .some(i => (i.getAttribute('href') || '').startsWith('data:image/png')));
}"""


def wait_for_background_work(page: Page) -> None:
    """Until the notebook's sweep and basins are drawn: computing them (and compiling
    their kernels, the first time) holds the kernel, and a drag meanwhile waits."""
    page.wait_for_function(_FAMILIES_DONE_JS, timeout=120_000)


def drag_first_start(page: Page, dx: float, dy: float) -> None:
    """Drag the first start marker by (dx, dy) pixels, as a user's mouse does.

    The marker is found again until the press lands on it: a notebook page may still
    move under the mouse (a later cell's output growing) between finding it and
    pressing; a press that missed moves nothing, and the drag is made again.
    """
    for _ in range(3):
        x, y = start_markers(page)[0]
        page.mouse.move(x, y)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(x + dx * i / 10, y + dy * i / 10)
            page.wait_for_timeout(30)
        page.mouse.up()
        moved = start_markers(page)[0]
        if abs(moved[0] - x) + abs(moved[1] - y) > 10:
            return
        page.wait_for_timeout(500)


def set_learning_rate(page: Page, value: str) -> None:
    """Type into the learning rate's box beside its slider, as a user can."""
    entry = page.locator(f"{ROOT} .jgw-controls .jgw-entry input").first
    entry.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def check_drag_click_slider_divergence(page: Page) -> None:
    # Drag the first start marker: its path is recomputed and redrawn.
    before = path_d(page, 0)
    drag_first_start(page, -120, 60)
    after = wait_path_change(page, 0, before)
    assert after != before

    # A click on an empty part of the map adds a start with its own path.
    box = page.locator(f"{ROOT} .jgw-map .plotarea_events").first.bounding_box()
    count = len(start_markers(page))
    page.mouse.click(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.2)
    page.wait_for_function(f"(root) => ({_START_MARKERS_JS})(root).length === {count + 1}",
                           arg=ROOT)  # fmt: skip
    new_path = wait_path_change(page, count, None)
    assert new_path.count("L") > 5, new_path
    page.locator(f"{ROOT} .jgw-status-table tbody tr").nth(count).wait_for()

    # Move the learning-rate slider with the keyboard: path and status follow.
    before, status_before = path_d(page, 0), status_text(page)
    handle = page.locator(f"{ROOT} .jgw-controls .widget-slider", has_text="learning rate")
    handle.first.locator(".noUi-handle").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_path_change(page, 0, before)
    page.wait_for_function(
        "([root, old]) => document.querySelector(root + ' .jgw-status-table').innerText !== old",
        arg=[ROOT, status_before],
    )

    # Learning rate 1: the status says diverged, in red, with a hint.
    set_learning_rate(page, "1")
    diverged = page.locator(f"{ROOT} .jgw-status-table tr[data-state='diverged']").first
    diverged.wait_for()
    assert re.search(r"diverged at step \d+", diverged.inner_text())
    assert "try a learning rate of" in diverged.inner_text()


def check_playback_without_kernel_messages(page: Page) -> None:
    bar = page.locator(f"{ROOT} [data-testid='jgw-transport']").first
    # The notebook's other dashboards finish their background work first (a sweep, the
    # basins): their messages are theirs, not playback's.
    with count_kernel_frames(page, settle_ms=0) as settling:
        settling.wait_until_quiet(quiet_ms=1000, timeout_ms=60_000)
    before = path_d(page, 0)
    bar.locator("[data-testid='jgw-play']").click()
    page.wait_for_function(
        "(bar) => bar.getAttribute('data-playing') === 'true'", arg=bar.element_handle()
    )
    page.wait_for_timeout(300)  # the one "playing" message goes out at the start
    with count_kernel_frames(page, settle_ms=0) as frames:
        page.wait_for_timeout(2000)
        drawn = int(bar.get_attribute("data-frames-drawn"))
    assert frames.total == 0, frames.msg_types()
    assert drawn >= 60, f"only {drawn} frames drawn in about 2 s of playback"
    assert path_d(page, 0) != before  # the path is being redrawn as it grows
    page.wait_for_function(
        "(bar) => bar.getAttribute('data-playing') === 'false'",
        arg=bar.element_handle(),
        timeout=20_000,
    )


def test_dashboard_in_jupyterlab(page, jupyter_server, example_notebooks, screenshot):
    open_lab_notebook(page, jupyter_server, example_notebooks["goldfield"].name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    wait_for_background_work(page)
    page.locator(ROOT).first.scroll_into_view_if_needed()
    screenshot(page, "rendered")
    assert "still moving after 300 steps" in status_text(page)  # lr 0.01, as in the exercise
    check_playback_without_kernel_messages(page)
    check_drag_click_slider_divergence(page)
    screenshot(page, "after-interaction")
    assert_no_console_errors(page)


def test_dashboard_in_notebook7(page, notebook7_server, example_notebooks, screenshot):
    open_notebook7(page, notebook7_server, example_notebooks["goldfield"].name)
    run_all_cells_notebook7(page)
    wait_for_dashboard(page)
    wait_for_background_work(page)
    page.locator(ROOT).first.scroll_into_view_if_needed()
    before = path_d(page, 0)
    drag_first_start(page, 100, -40)
    assert wait_path_change(page, 0, before) != before
    screenshot(page)
    assert_no_console_errors(page)


def test_dashboard_in_voila(page, voila_server, example_notebooks, screenshot):
    server = voila_server(example_notebooks["dashboard"])
    open_voila(page, server.url)
    wait_for_dashboard(page)
    assert page.locator(ROOT).count() == 3
    screenshot(page, "rendered", full_page=True)
    check_playback_without_kernel_messages(page)
    check_drag_click_slider_divergence(page)
    assert_no_console_errors(page)


@pytest.mark.parametrize("frontend", ["lab"])
def test_bad_input_shows_in_the_status_line(page, jupyter_server, make_notebook, frontend):
    path = make_notebook(
        "bad_input",
        ["from jaxgrad_widgets import GradDescentWidget\n"
         "from jaxgrad_widgets.functions import goldfield\n"
         "w = GradDescentWidget(goldfield, max_starts=1)\nw"],
    )  # fmt: skip
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    box = page.locator(f"{ROOT} .jgw-map .plotarea_events").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    line = page.locator(f"{ROOT} .jgw-status-line.jgw-error").first
    line.wait_for()
    assert line.inner_text() == "at most 1 start; remove one to add another"
    assert len(start_markers(page)) == 1
    assert_no_console_errors(page)
