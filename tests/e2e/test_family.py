"""The learning-rate slider answered in the browser: JupyterLab and Voilà.

After each change the dashboard hands the browser the runs at the learning-rate
slider's neighbouring positions (the family). A key press on the slider then redraws
the path with every message from the kernel held back (:class:`KernelGate`): the
browser alone answered it. Released, the kernel's answer follows: Python adopts the
run without recomputing and the status says so. A value off the family (typed) still
goes through the kernel; the playback frame is kept across a move.
"""

from __future__ import annotations

from playwright.sync_api import Page

from .pages import (
    KernelGate,
    assert_no_console_errors,
    open_lab_notebook,
    open_voila,
    run_all_cells_lab,
)
from .test_dashboard import (
    ROOT,
    path_d,
    set_learning_rate,
    status_text,
    wait_for_dashboard,
    wait_path_change,
)

CELL = """\
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], learning_rate=0.05)
w"""

BAR = f"{ROOT} [data-testid='jgw-transport']"
STATUS_LINE = f"{ROOT} .jgw-status-line"


def _bar(page: Page):
    return page.locator(BAR).first


def _wait_for_family(page: Page) -> int:
    page.wait_for_function(
        "(sel) => Number(document.querySelector(sel).getAttribute('data-family-size')) > 0",
        arg=BAR,
        timeout=30_000,
    )
    return int(_bar(page).get_attribute("data-family-size"))


def _focus_learning_rate(page: Page) -> None:
    slider = page.locator(f"{ROOT} .jgw-controls .widget-slider", has_text="learning rate")
    slider.first.locator(".noUi-handle").focus()


def _status_line(page: Page) -> str:
    return page.locator(STATUS_LINE).first.inner_text()


def _seek(page: Page, frame: int) -> None:
    """Release the scrubber at ``frame``, as a user's drag of it ends."""
    page.evaluate(
        """([sel, frame]) => {
             const s = document.querySelector(sel + " [data-testid='jgw-scrubber']");
             s.value = String(frame);
             s.dispatchEvent(new Event('input', {bubbles: true}));
             s.dispatchEvent(new Event('change', {bubbles: true}));
           }""",
        [BAR, frame],
    )


def check_learning_rate_answered_in_the_browser(page: Page, gate: KernelGate) -> None:
    members = _wait_for_family(page)
    assert members >= 3
    bar = _bar(page)
    assert bar.get_attribute("data-member") == "-1"  # the run itself is shown

    # A key press with the kernel's messages held back: the path changes all the same.
    _focus_learning_rate(page)
    before, status_before = path_d(page, 0), status_text(page)
    line_before = _status_line(page)
    with gate.holding():
        page.keyboard.press("ArrowRight")
        after = wait_path_change(page, 0, before, timeout=5_000)
        assert int(bar.get_attribute("data-member")) >= 0
        page.wait_for_timeout(400)
        # The kernel did answer the slider's value: its answer waits at the gate, and
        # nothing the page shows came from it.
        assert gate.pending, "the kernel sent nothing back for the slider's value"
        assert status_text(page) == status_before and _status_line(page) == line_before
        assert path_d(page, 0) == after
    # Released: Python hears of the value, adopts the run and says where it came from.
    page.wait_for_function(
        "(sel) => document.querySelector(sel).innerText.includes('from the learning-rate family')",
        arg=STATUS_LINE,
    )
    assert "learning rate 0.05129" in _status_line(page)
    assert path_d(page, 0) == after

    # Paused at step 50, a move of the learning rate shows step 50 of the new run.
    _seek(page, 50)
    page.wait_for_function("(sel) => document.querySelector(sel).dataset.frame === '50'", arg=BAR)
    page.wait_for_timeout(300)
    at_50 = path_d(page, 0)
    with gate.holding():
        _focus_learning_rate(page)
        page.keyboard.press("ArrowRight")
        moved = wait_path_change(page, 0, at_50, timeout=5_000)
        assert bar.get_attribute("data-frame") == "50"
        assert int(bar.get_attribute("data-member")) >= 0
        page.wait_for_timeout(200)
    page.wait_for_function(
        "(sel) => document.querySelector(sel).innerText.includes('learning rate 0.05248')",
        arg=STATUS_LINE,
    )
    assert bar.get_attribute("data-frame") == "50" and path_d(page, 0) == moved
    # The partial path ends where step 50 is: shorter than the whole path.
    bar.locator("[data-testid='jgw-frame-readout']").filter(has_text="50").wait_for()

    # A typed value far from the current one is off the family: only the kernel can
    # answer it, so nothing changes while its messages are held back.
    before, status_before = path_d(page, 0), status_text(page)
    with gate.holding():
        set_learning_rate(page, "0.3")
        page.wait_for_timeout(800)
        assert path_d(page, 0) == before
        assert bar.get_attribute("data-member") == "-1"
    wait_path_change(page, 0, before, timeout=15_000)
    page.wait_for_function(
        "(sel) => document.querySelector(sel).innerText.includes('computed in')", arg=STATUS_LINE
    )
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText !== old",
        arg=[f"{ROOT} .jgw-status-table", status_before],
    )
    # The family follows the new rate: it is in the browser again.
    page.wait_for_function(
        "(sel) => { const b = document.querySelector(sel);"
        " return Number(b.dataset.familySize) > 0 && b.dataset.member === '-1'; }",
        arg=BAR,
        timeout=30_000,
    )


def test_learning_rate_family_in_jupyterlab(page, jupyter_server, make_notebook, screenshot):
    gate = KernelGate.install(page)
    path = make_notebook("family_lab", [CELL])
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    page.locator(ROOT).first.scroll_into_view_if_needed()
    check_learning_rate_answered_in_the_browser(page, gate)
    screenshot(page)
    assert_no_console_errors(page)


def test_learning_rate_family_in_voila(page, voila_server, make_notebook, screenshot):
    gate = KernelGate.install(page)
    server = voila_server(make_notebook("family_voila", [CELL]))
    open_voila(page, server.url)
    wait_for_dashboard(page)
    check_learning_rate_answered_in_the_browser(page, gate)
    screenshot(page)
    assert_no_console_errors(page)
