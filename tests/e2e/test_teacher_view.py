"""What a teacher in front of a class sees: each defect of the "what a teacher sees" list,
clicked and looked at in a real browser (JupyterLab, Voilà light and dark, an 800 px
window), with the console free of errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from jaxgrad_widgets.widgets.palette import START_COLORS

from .pages import (
    assert_no_console_errors,
    open_lab_notebook,
    open_notebook7,
    open_voila,
    run_all_cells_lab,
    run_all_cells_notebook7,
)
from .test_dashboard import ROOT, _rgb, set_learning_rate, status_text, wait_for_dashboard

DASHBOARD = """\
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield, rosenbrock
w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1), (1.5, -1.5)],
                      learning_rate=0.05, lock={{"y": 1.2}} if {locked} else None)
w"""
#: A loss that is never negative, and a start that diverges.
ROSENBROCK = "GradDescentWidget(rosenbrock, start=(-1.5, 2.0), learning_rate=0.004)"

# Every tick label and axis name of every figure of the first dashboard, as boxes.
_TEXT_BOXES_JS = """(root) => {
  const out = [];
  for (const fig of document.querySelectorAll(root)[0].querySelectorAll('.bqplot')) {
    const name = [...fig.classList].find(c => c.startsWith('jgw-')) || 'figure';
    for (const axis of fig.querySelectorAll('g.axis')) {
      const ticks = [...axis.querySelectorAll('.tick text')]
        .filter(t => t.textContent.trim() !== '' && t.getBBox().width > 0)
        .map(t => { const r = t.getBoundingClientRect();
                    return {text: t.textContent, x: r.x, y: r.y, w: r.width, h: r.height}; });
      const label = axis.querySelector('text.axislabel');
      const r = label && label.textContent ? label.getBoundingClientRect() : null;
      out.push({figure: name, ticks,
                label: r && {text: label.textContent, x: r.x, y: r.y, w: r.width, h: r.height}});
    }
  }
  return out;
}"""


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and (a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])
    )


def assert_no_text_collides(page: Page, root: str = ROOT) -> None:
    """No two tick labels of an axis overlap, nor a tick label and the axis's name."""
    for axis in page.evaluate(_TEXT_BOXES_JS, root):
        ticks = axis["ticks"]
        assert len(ticks) >= 2, f"{axis['figure']}: an axis without tick labels: {axis}"
        for i, a in enumerate(ticks):
            for b in ticks[i + 1 :]:
                assert not _overlap(a, b), f"{axis['figure']}: '{a['text']}' on '{b['text']}'"
            if axis["label"]:
                label = axis["label"]
                assert not _overlap(a, label), (
                    f"{axis['figure']}: the axis name '{label['text']}' on '{a['text']}'"
                )


# The contrast of each loss line against what is behind the loss figure.
_CONTRASTS_JS = """(root) => {
  const rgb = (s) => (s.match(/[0-9.]+/g) || []).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(c => { c /= 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
    .reduce((s, c, i) => s + c * [0.2126, 0.7152, 0.0722][i], 0);
  const fig = document.querySelectorAll(root)[0].querySelector('.jgw-loss');
  let el = fig, bg = null;
  while (el) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3] > 0.5)) { bg = c; break; }
    el = el.parentElement;
  }
  bg = bg || [255, 255, 255];
  return [...fig.querySelectorAll('path.line')]
    .map(p => getComputedStyle(p).stroke)
    .filter(s => s && s !== 'none')
    .map(s => { const a = lum(rgb(s)), b = lum(bg);
                return [s, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; });
}"""


def _loss_lines_d(page: Page) -> list[str | None]:
    return page.evaluate(
        """(root) => [...document.querySelectorAll(root)[0]
             .querySelectorAll('.jgw-loss path.line')].map(p => p.getAttribute('d'))""",
        ROOT,
    )


def check_log_loss(page: Page) -> None:
    """The log view draws every curve, with readable ticks, and toggling back restores it."""
    toggle = page.locator(f"{ROOT} .widget-toggle-button", has_text="log loss").first
    before = _loss_lines_d(page)
    toggle.click()
    page.wait_for_function(
        "(sel) => document.querySelector(sel).textContent.includes('(log scale)')",
        arg=f"{ROOT} .jgw-loss",
    )
    page.wait_for_timeout(500)
    after = _loss_lines_d(page)
    assert all(d and "NaN" not in d for d in after), after
    assert after != before
    assert_no_text_collides(page)
    toggle.click()
    page.wait_for_function(
        "(sel) => !document.querySelector(sel).textContent.includes('(log scale)')",
        arg=f"{ROOT} .jgw-loss",
    )
    page.wait_for_timeout(500)
    assert all(d and "NaN" not in d for d in _loss_lines_d(page))
    assert_no_text_collides(page)


def check_start_colours(page: Page) -> None:
    contrasts = page.evaluate(_CONTRASTS_JS, ROOT)
    curves = [(stroke, c) for stroke, c in contrasts if "136, 136, 136" not in stroke]  # marker
    assert len(curves) >= 3, contrasts
    low = [(stroke, round(c, 2)) for stroke, c in curves if c < 3.0]
    assert not low, f"loss curves below 3:1 contrast: {low}"


def check_typed_learning_rate(page: Page) -> None:
    set_learning_rate(page, "0.3")
    page.wait_for_function(
        "(sel) => document.querySelector(sel).innerText.includes('learning rate 0.3,')",
        arg=f"{ROOT} .jgw-status-line",
    )
    assert page.locator(f"{ROOT} .jgw-entry input").first.input_value() == "0.3"


def check_controls_layout(page: Page) -> dict:
    layout = page.evaluate(
        """(root) => {
             const dash = document.querySelectorAll(root)[0];
             const title = dash.querySelector('.jgw-title').getBoundingClientRect();
             const view = dash.querySelector('.jgw-view');
             const buttons = [...view.querySelectorAll('button')];
             const lock = [...dash.querySelectorAll('.widget-slider')]
               .find(s => (s.querySelector('.widget-label') || {}).textContent === 'at');
             return {
               viewTop: view.getBoundingClientRect().top, titleBottom: title.bottom,
               truncated: buttons.filter(b => b.scrollWidth > b.clientWidth + 1)
                                 .map(b => b.textContent),
               lockShown: lock ? lock.offsetParent !== null : false,
             };
           }""",
        ROOT,
    )
    assert layout["viewTop"] < layout["titleBottom"], "the view buttons are not beside the title"
    assert layout["truncated"] == [], layout["truncated"]
    return layout


def check_keep_first_start(page: Page) -> None:
    button = page.locator(f"{ROOT} button", has_text="keep first start only").first
    assert button.is_enabled()
    button.click()
    page.wait_for_function(
        "(root) => document.querySelectorAll(root)[0]"
        ".querySelectorAll('.jgw-status-table tbody tr').length === 1",
        arg=ROOT,
    )
    page.wait_for_function("(b) => b.disabled", arg=button.element_handle())


def check_notes_and_ranges(page: Page) -> None:
    """The start far above the others (the third, from f = 20.6; the others from 1.98) is
    marked at the top in its colour, and the loss axis shows the two below instead of
    stretching to it; no start diverges, so none is named so."""
    loss = page.locator(ROOT).first.locator(".jgw-loss")
    loss.locator("text", has_text="↑").first.wait_for(state="attached")
    notes = page.evaluate(
        """(root) => [...document.querySelectorAll(root)[0].querySelectorAll('.jgw-loss text')]
             .filter(t => t.textContent === '↑' || t.textContent === 'diverged')
             .map(t => [t.textContent, getComputedStyle(t).fill])""",
        ROOT,
    )
    assert notes == [["↑", _rgb(START_COLORS[2])]], notes
    labels = loss.locator("g.axis").last.locator(".tick text").all_text_contents()
    numbers = [float(t.replace("−", "-")) for t in labels if t.strip()]
    assert numbers and max(numbers) < 10, labels


# The extent (px) of the arrows on the first dashboard's map: the black path.
_ARROWS_JS = """(root) => {
  const fig = document.querySelectorAll(root)[0].querySelector('.jgw-map');
  const arrows = [...fig.querySelectorAll('path.line')]
    .find(p => (p.getAttribute('style') || '').includes('stroke: rgb(0, 0, 0)'));
  if (!arrows || !arrows.getAttribute('d')) return 0;
  const box = arrows.getBBox();
  return Math.max(box.width, box.height);
}"""


def check_arrows(page: Page) -> None:
    """Arrows say how steep it is: long on a steep start, gone once on the minima."""
    bar = page.locator(f"{ROOT} [data-testid='jgw-transport']").first
    at_end = page.evaluate(_ARROWS_JS, ROOT)
    bar.locator("[data-testid='jgw-reset']").click()
    page.wait_for_function("(b) => b.dataset.frame === '0'", arg=bar.element_handle())
    page.wait_for_timeout(300)
    at_start = page.evaluate(_ARROWS_JS, ROOT)
    assert at_end < 3, f"arrows {at_end:.1f} px long on converged starts"
    assert at_start > 25, f"arrows only {at_start:.1f} px long on a steep start"
    bar.locator("[data-testid='jgw-play']").click()


def check_rosenbrock_loss(page: Page) -> None:
    """A loss that cannot be negative gets no negative ticks; a diverged start is named."""
    loss = page.locator(ROOT).nth(1).locator(".jgw-loss")
    loss.locator("text", has_text="diverged").first.wait_for(state="attached")
    labels = loss.locator("g.axis").last.locator(".tick text").all_text_contents()
    numbers = [float(t.replace("−", "-")) for t in labels if t.strip()]
    assert numbers and min(numbers) >= 0, labels


DERIVATIVES = """\
from jaxgrad_widgets import DerivativeWidget
from jaxgrad_widgets.functions import polynomial
DerivativeWidget(polynomial, order=2, x=1.5)"""


def test_derivative_panels_read_cleanly(page, jupyter_server, make_notebook, screenshot):
    """Ticks that fit even the short derivative panels, and no legend on the curves."""
    path = make_notebook("teacher_derivatives", [DERIVATIVES])
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    root = ".jgw-derivative"
    page.locator(f"{root} .jgw-readout").first.wait_for()
    page.locator(root).first.scroll_into_view_if_needed()
    assert_no_text_collides(page, root)
    assert page.locator(f"{root} .g_legend text").count() == 0
    screenshot(page)
    assert_no_console_errors(page)


def test_what_a_teacher_sees_in_jupyterlab(page, jupyter_server, make_notebook, screenshot):
    path = make_notebook("teacher", [DASHBOARD.format(locked=False), ROSENBROCK])
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_dashboard(page)
    page.locator(ROOT).first.scroll_into_view_if_needed()
    assert_no_text_collides(page)
    check_start_colours(page)
    check_notes_and_ranges(page)
    check_rosenbrock_loss(page)
    check_arrows(page)
    layout = check_controls_layout(page)
    assert not layout["lockShown"], "the lock's 'at' slider shows with no lock"
    check_log_loss(page)
    check_typed_learning_rate(page)
    check_keep_first_start(page)
    screenshot(page)
    assert_no_console_errors(page)


def test_what_a_teacher_sees_in_notebook7(page, notebook7_server, make_notebook, screenshot):
    path = make_notebook("teacher_nb7", [DASHBOARD.format(locked=False)])
    open_notebook7(page, notebook7_server, path.name)
    run_all_cells_notebook7(page)
    wait_for_dashboard(page)
    page.locator(ROOT).first.scroll_into_view_if_needed()
    assert_no_text_collides(page)
    check_start_colours(page)
    check_controls_layout(page)  # no view button cut short, beside the title
    screenshot(page)
    assert_no_console_errors(page)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_what_a_teacher_sees_in_voila(page, voila_server, make_notebook, screenshot, theme):
    path = make_notebook(f"teacher_voila_{theme}", [DASHBOARD.format(locked=True)])
    server = voila_server(path, f"--theme={theme}")
    page.set_viewport_size({"width": 800, "height": 1000})
    open_voila(page, server.url)
    wait_for_dashboard(page)
    assert_no_text_collides(page)  # the robot's slice panel included
    check_start_colours(page)
    layout = check_controls_layout(page)
    assert layout["lockShown"]
    selected = page.evaluate(
        """(root) => [...document.querySelectorAll(root)[0].querySelectorAll('.jgw-view button')]
             .map(b => getComputedStyle(b).backgroundColor)""",
        ROOT,
    )
    assert len(set(selected)) == 2, f"the selected view is not told apart: {selected}"
    gap = page.evaluate(
        """(root) => { const d = document.querySelectorAll(root)[0];
             const map = d.querySelector('.jgw-map svg').getBoundingClientRect();
             const loss = d.querySelector('.jgw-loss svg').getBoundingClientRect();
             return loss.top >= map.bottom - 1 ? 0 : loss.left - map.right; }""",
        ROOT,
    )
    assert gap < 40, f"{gap:.0f} px between the map and the loss plot"
    wrapped = page.evaluate(
        """(root) => [...document.querySelectorAll(root)[0]
             .querySelectorAll('.jgw-status-table td:not(.jgw-outcome)')]
             .filter(td => { const r = document.createRange(); r.selectNodeContents(td);
                             return new Set([...r.getClientRects()].map(b => b.top)).size > 1; })
             .map(td => td.textContent)""",
        ROOT,
    )
    assert wrapped == [], f"status numbers wrapped: {wrapped}"
    assert "diverged" not in status_text(page)
    screenshot(page, full_page=True)
    assert_no_console_errors(page)
