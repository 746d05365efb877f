"""A dead kernel says so: when the kernel behind a dashboard dies, every dashboard on the
page is covered with a notice (its controls inert under it), in Voilà with a button that
reloads the page and brings the dashboards back; in JupyterLab it says to run the cell
again."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .pages import assert_no_console_errors, open_lab_notebook, open_voila, run_all_cells_lab
from .test_dashboard import ROOT, path_d, set_learning_rate, wait_for_dashboard, wait_path_change

CELLS = [
    """\
from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.functions import goldfield, polynomial
GradDescentWidget(goldfield, learning_rate=0.05)""",
    "DerivativeWidget(polynomial, order=2)",
]

#: What the page logs when its kernel goes away (the host's own messages), and Voilà's
#: own refusal, on any reload, of the request its page sends to shut the old kernel down.
KERNEL_GONE = [
    r"Kernel: (restarting|autorestarting|starting|dead)",
    r"Connection lost",
    r"WebSocket connection to .* failed",
    r"403[\s\S]*/voila/api/shutdown/",
]


def _expect_covered(page: Page, again: str) -> None:
    """Both dashboards covered, each once, saying what happened and what to do."""
    overlays = page.locator("[data-testid='jgw-lost']")
    expect(overlays).to_have_count(2, timeout=15_000)
    for i in range(2):
        text = overlays.nth(i).inner_text()
        assert "The computation behind this dashboard stopped." in text
        assert again in text
    # The controls under it no longer take input.
    assert page.locator(f"{ROOT} [data-testid='jgw-transport']").first.evaluate(
        "(el) => el.closest('[inert]') !== null"
    )
    slider = page.locator(f"{ROOT} .widget-slider").first
    assert slider.evaluate("(el) => el.closest('[inert]') !== null")


def test_a_dead_kernel_in_voila_says_so_and_reload_brings_it_back(
    page, voila_server, make_notebook, screenshot
):
    server = voila_server(make_notebook("dead_kernel_voila", CELLS))
    open_voila(page, server.url)
    wait_for_dashboard(page)
    page.locator(".jgw-derivative").first.wait_for()
    assert page.locator("[data-testid='jgw-lost']").count() == 0
    assert server.kill_kernels() == 1
    _expect_covered(page, "Reload the page to start again.")
    screenshot(page, "covered")
    page.locator(".jgw-lost-reload").first.click()
    page.wait_for_load_state()
    wait_for_dashboard(page)
    expect(page.locator("[data-testid='jgw-lost']")).to_have_count(0)
    # A new kernel answers: the learning rate moves the path again.
    before = path_d(page, 0)
    set_learning_rate(page, "0.02")
    wait_path_change(page, 0, before)
    assert_no_console_errors(page, allow=KERNEL_GONE)


def test_a_dead_kernel_in_jupyterlab_says_to_run_the_cell_again(
    page, jupyter_server, make_notebook
):
    path = make_notebook("dead_kernel_lab", CELLS)
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    page.locator(".jgw-derivative").first.wait_for()
    assert jupyter_server.kill_kernels() == 1
    _expect_covered(page, "Run its cell again to start over.")
    assert page.locator(".jgw-lost-reload").count() == 0
    assert_no_console_errors(page, allow=KERNEL_GONE)
