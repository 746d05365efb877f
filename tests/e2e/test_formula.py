"""Typing your own function in a Voilà dashboard (``examples/your_own_function.ipynb``).

What a user sees: the box starts with goldfield and its descent path. Typing a new
formula and pressing Enter replaces the dashboard (a new path, "ok" in the status
line). Typing ``__import__('os')`` and pressing Apply shows the parser's refusal in
red, and the previous dashboard stays as it was. ``2x + y`` is answered with the
product to write, ``2*x``. While a new formula's dashboard is built ("building ..."),
the previous dashboard still answers: a learning rate typed into it redraws its path.
"""

from __future__ import annotations

from playwright.sync_api import Page

from jaxgrad_widgets.widgets.palette import START_COLORS

from .pages import assert_no_console_errors, open_voila
from .test_dashboard import set_learning_rate

BOX = ".jgw-formula-box"
STATUS = f"{BOX} .jgw-formula-status"
START0 = "rgb({}, {}, {})".format(*(int(START_COLORS[0][i : i + 2], 16) for i in (1, 3, 5)))

#: ``d`` of start 0's descent path in the box's map (found by its palette colour).
_PATH_JS = """([box, rgb]) => {
  const fig = document.querySelector(box + ' .jgw-grad-descent .jgw-map');
  if (!fig) return null;
  const line = Array.from(fig.querySelectorAll('path.line'))
    .find(p => (p.getAttribute('style') || '').includes('stroke: ' + rgb));
  const d = line ? line.getAttribute('d') : null;
  return d && d.length > 20 ? d : null;
}"""


def path_d(page: Page) -> str | None:
    return page.evaluate(_PATH_JS, [BOX, START0])


def wait_for_path(page: Page, other_than: str | None = None) -> str:
    page.wait_for_function(
        f"([box, rgb, old]) => {{ const d = ({_PATH_JS})([box, rgb]);"
        " return d !== null && d !== old; }",
        arg=[BOX, START0, other_than],
        timeout=60_000,
    )
    return path_d(page)


def status_is(page: Page, text: str, timeout: float = 60_000, selector: str = STATUS) -> None:
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).innerText === text",
        arg=[selector, text],
        timeout=timeout,
    )


def type_formula(page: Page, text: str) -> None:
    field = page.locator(f"{BOX} .jgw-formula-text input").first
    field.click()
    field.fill(text)


def test_type_a_formula_then_a_hostile_one(page, voila_server, example_notebooks, screenshot):
    server = voila_server(example_notebooks["your_own_function"])
    open_voila(page, server.url)
    status = page.locator(STATUS).first
    assert status.inner_text() == "ok: f(x, y) = 2*x**2 - 4*x*y + y**4 + 2"
    goldfield_path = wait_for_path(page)

    # A new formula, submitted with Enter: a new dashboard with its own path.
    type_formula(page, "(x - 1)**2 + (y + 0.5)**2")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(el) => el.innerText === 'ok: f(x, y) = (x - 1)**2 + (y + 0.5)**2'",
        arg=status.element_handle(),
        timeout=60_000,
    )
    bowl_path = wait_for_path(page, other_than=goldfield_path)
    assert page.locator(f"{BOX} .jgw-grad-descent").count() == 1
    screenshot(page, "applied")

    # A hostile one, submitted with Apply: refused in red, the dashboard untouched.
    type_formula(page, "__import__('os').system('echo hacked')")
    page.locator(f"{BOX} .jgw-formula-apply").first.click()
    page.wait_for_function(
        "(el) => el.innerText.startsWith('attribute access (`.system`) is not allowed')",
        arg=status.element_handle(),
        timeout=30_000,
    )
    assert status.locator(".jgw-error").count() == 1
    type_formula(page, "__import__('os')")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(el) => el.innerText.startsWith(\"unknown function '__import__'\")",
        arg=status.element_handle(),
        timeout=30_000,
    )
    assert path_d(page) == bowl_path
    assert page.locator(f"{BOX} .jgw-grad-descent").count() == 1
    screenshot(page, "refused")
    assert_no_console_errors(page)


#: The example's box, with every build held up for BUILD_SECONDS (in the worker thread):
#: long enough to use the previous dashboard while the next one is being built.
SLOW_BUILD = """from jaxgrad_widgets import FormulaBox
from jaxgrad_widgets.widgets import formula_box

box = FormulaBox()
real_plan = formula_box.plan_dashboard


def slow_plan(formula, options):
    import time

    time.sleep({seconds})
    return real_plan(formula, options)


formula_box.plan_dashboard = slow_plan
box"""


def test_the_previous_dashboard_answers_while_a_new_formula_builds(
    page, voila_server, make_notebook, screenshot
):
    server = voila_server(make_notebook("formula_slow_build", [SLOW_BUILD.format(seconds=8)]))
    open_voila(page, server.url)
    status_is(page, "ok: f(x, y) = 2*x**2 - 4*x*y + y**4 + 2")
    title = page.locator(f"{BOX} .jgw-grad-descent .jgw-title").first
    assert title.inner_text() == "f(x, y) = 2*x**2 - 4*x*y + y**4 + 2"
    goldfield_path = wait_for_path(page)

    # A product without its *: the message says what to write, in red.
    type_formula(page, "2x + y")
    page.keyboard.press("Enter")
    status_is(page, "the formula cannot be read at `2x`: write 2*x (a product needs its *)")
    assert page.locator(f"{STATUS} .jgw-error").count() == 1

    # A new formula: "building ...", and meanwhile the old dashboard still computes.
    formula = "sin(x)*cos(y)+0.1*(x**2+y**2)"
    type_formula(page, formula)
    page.keyboard.press("Enter")
    status_is(page, f"building f(x, y) = {formula} ...", timeout=5_000)
    set_learning_rate(page, "0.0234")  # off the slider's family: the kernel must answer
    moved_path = wait_for_path(page, other_than=goldfield_path)
    assert page.locator(STATUS).first.inner_text() == f"building f(x, y) = {formula} ..."
    assert title.inner_text() == "f(x, y) = 2*x**2 - 4*x*y + y**4 + 2"  # still the old one
    screenshot(page, "building")

    # Then the new dashboard replaces it, titled with the formula.
    status_is(page, f"ok: f(x, y) = {formula}")
    status_is(page, f"f(x, y) = {formula}", 30_000, selector=f"{BOX} .jgw-grad-descent .jgw-title")
    wait_for_path(page, other_than=moved_path)
    assert page.locator(f"{BOX} .jgw-grad-descent").count() == 1
    screenshot(page, "built")
    assert_no_console_errors(page)
