"""The optimizer race in a real browser: JupyterLab and Voilà.

A RaceWidget draws one path per optimizer on the map (one bqplot ``Lines`` mark, each
line in the optimizer's colour) and one loss curve each; the legend and the ranking
table name every optimizer with its colour and learning rate. Play runs the race in
the browser: the paths grow while not one kernel websocket frame goes either way.
"""

from __future__ import annotations

from playwright.sync_api import Page

from jaxgrad_widgets.widgets.palette import START_COLORS

from .pages import (
    assert_no_console_errors,
    count_kernel_frames,
    open_lab_notebook,
    open_voila,
    run_all_cells_lab,
)

ROOT = ".jgw-race"
OPTIMIZERS = ("sgd", "momentum", "adam")
CELL = """\
from jaxgrad_widgets import RaceWidget
from jaxgrad_widgets.functions import goldfield
w = RaceWidget(goldfield, start=(0.1, 0.1), optimizers=("sgd", "momentum", "adam"), steps=300)
w"""
BAR = f"{ROOT} [data-testid='jgw-transport']"


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


COLORS = [_rgb(c) for c in START_COLORS[: len(OPTIMIZERS)]]

#: Per colour, the `d` of every line path of that stroke in the figure ``figure``.
_PATHS_JS = """([root, figure, colors]) => {
  const fig = document.querySelector(root).querySelector(figure);
  const lines = Array.from(fig.querySelectorAll('path.line'));
  return colors.map(rgb => lines
    .filter(p => (p.getAttribute('style') || '').includes('stroke: ' + rgb))
    .map(p => p.getAttribute('d')));
}"""


def paths(page: Page, figure: str = ".jgw-map") -> list[list[str]]:
    return page.evaluate(_PATHS_JS, [ROOT, figure, COLORS])


def wait_for_race(page: Page) -> None:
    page.locator(ROOT).first.wait_for()
    page.wait_for_function(
        f"(args) => ({_PATHS_JS})(args).every(ds => ds.length === 1 && ds[0].length > 20)",
        arg=[ROOT, ".jgw-map", COLORS],
        timeout=30_000,
    )
    page.locator(f"{ROOT} .jgw-race-table tbody tr").first.wait_for()


def check_race_drawn(page: Page) -> None:
    # One path per optimizer in the map's paths mark, each in its own colour.
    drawn = paths(page)
    assert [len(ds) for ds in drawn] == [1] * len(OPTIMIZERS), drawn
    assert len({ds[0] for ds in drawn}) == len(OPTIMIZERS)
    assert all(ds[0].count("L") > 5 for ds in drawn)
    # And one loss curve each.
    assert [len(ds) for ds in paths(page, ".jgw-loss")] == [1] * len(OPTIMIZERS)

    # The legend: a swatch in each optimizer's colour, in the race's order.
    legend = page.evaluate(
        """(root) => Array.from(document.querySelector(root)
             .querySelectorAll('.jgw-race-legend .jgw-race-key')).map(k => [
               k.dataset.optimizer,
               getComputedStyle(k.querySelector('.jgw-swatch')).backgroundColor,
               k.getBoundingClientRect().width > 0])""",
        ROOT,
    )
    assert legend == [[n, c, True] for n, c in zip(OPTIMIZERS, COLORS, strict=True)]

    # The ranking table: every optimizer with its tuned rate and where it got to.
    rows = page.locator(f"{ROOT} .jgw-race-table tbody tr")
    assert rows.count() == len(OPTIMIZERS)
    seen = set()
    for i in range(rows.count()):
        row = rows.nth(i)
        name = row.get_attribute("data-optimizer")
        seen.add(name)
        text = row.inner_text()
        assert row.get_attribute("data-rank") == str(i + 1)
        assert "(tuned)" in text and ("step " in text or "did not converge" in text), text
        swatch = row.locator(".jgw-swatch").evaluate("s => getComputedStyle(s).backgroundColor")
        assert swatch == COLORS[OPTIMIZERS.index(name)]
    assert seen == set(OPTIMIZERS)
    assert "Optimizer race" in page.locator(f"{ROOT} .jgw-title").first.inner_text()


def check_playback_without_kernel_messages(page: Page) -> None:
    bar = page.locator(BAR).first
    n_frames = int(bar.get_attribute("data-n-frames"))
    assert n_frames == 301
    before = [ds[0] for ds in paths(page)]
    # Pressing Play tells the kernel once (playing=True); wait for that exchange to end.
    with count_kernel_frames(page, settle_ms=0) as pressed:
        bar.locator("[data-testid='jgw-play']").click()
        page.wait_for_function(
            "(sel) => document.querySelector(sel).dataset.playing === 'true'", arg=BAR
        )
        pressed.wait_until_quiet(quiet_ms=300)
    assert pressed.sent == 1, pressed.msg_types("sent")
    # From then until the last frames, the race plays with no kernel frame either way.
    with count_kernel_frames(page, settle_ms=0) as during:
        assert bar.get_attribute("data-playing") == "true"
        early_frame = int(bar.get_attribute("data-frame"))
        early = [ds[0] for ds in paths(page)]
        page.wait_for_function(
            "([sel, last]) => Number(document.querySelector(sel).dataset.frame) >= last",
            # Half a second before the end: a loaded machine skips frames, and the end
            # itself is a message (the frame goes back to Python).
            arg=[BAR, n_frames - 30],
            timeout=30_000,
        )
        late = [ds[0] for ds in paths(page)]
        still_playing = bar.get_attribute("data-playing") == "true"
        drawn = int(bar.get_attribute("data-frames-drawn"))
    assert still_playing, "playback ended before the measurement did"
    assert during.total == 0, during.msg_types()
    assert early_frame < 60, f"playback was at frame {early_frame} before it was measured"
    assert drawn >= 100, f"only {drawn} frames drawn in playback of {n_frames}"
    # Every optimizer's path was redrawn as it grew: short early on, never shorter later;
    # those still moving after the early look (not all converge so soon) grew since.
    for j, name in enumerate(OPTIMIZERS):
        assert early[j] != before[j], name
        assert len(late[j]) >= len(early[j]), name
    assert any(len(late[j]) > len(early[j]) for j in range(len(OPTIMIZERS)))
    page.wait_for_function(
        "(sel) => document.querySelector(sel).dataset.playing === 'false'", arg=BAR
    )
    # At the end, the whole race again.
    page.wait_for_timeout(200)
    assert [ds[0] for ds in paths(page)] == before


def test_race_in_jupyterlab(page, jupyter_server, make_notebook, screenshot):
    path = make_notebook("race_lab", [CELL])
    open_lab_notebook(page, jupyter_server, path.name)
    run_all_cells_lab(page)
    wait_for_race(page)
    page.locator(ROOT).first.scroll_into_view_if_needed()
    check_race_drawn(page)
    screenshot(page, "rendered")
    check_playback_without_kernel_messages(page)
    assert_no_console_errors(page)


def test_race_in_voila(page, voila_server, make_notebook, screenshot):
    server = voila_server(make_notebook("race_voila", [CELL]))
    open_voila(page, server.url)
    wait_for_race(page)
    check_race_drawn(page)
    screenshot(page, "rendered", full_page=True)
    check_playback_without_kernel_messages(page)
    assert_no_console_errors(page)
