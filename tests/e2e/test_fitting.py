"""Fitting to data in Voilà: the model density moves over the histogram as the descent plays."""

from __future__ import annotations

from jaxgrad_widgets.widgets.palette import START_COLORS

from .pages import assert_no_console_errors, count_kernel_frames, open_voila
from .test_views import play_at

START0 = "rgb({}, {}, {})".format(*(int(START_COLORS[0][i : i + 2], 16) for i in (1, 3, 5)))
DENSITY_D = f"""() => {{
  const line = Array.from(document.querySelectorAll('.jgw-data path.line'))
    .find(p => (p.getAttribute('style') || '').includes('stroke: {START0}'));
  return line ? line.getAttribute('d') : null;
}}"""


def test_density_moves_during_playback_without_kernel_messages(
    page, voila_server, example_notebooks, screenshot
):
    server = voila_server(example_notebooks["mle_gaussian"])
    open_voila(page, server.url)
    widget = page.locator(".jgw-grad-descent").first
    page.locator(".jgw-data .bar").first.wait_for(state="attached")  # the histogram
    widget.scroll_into_view_if_needed()
    # sigma, not log_sigma, on the map's axis and in the status.
    assert "sigma" in widget.locator(".jgw-map").inner_text()
    ticks = widget.locator(".jgw-map .axis .tick text").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert {"0.5", "1", "2", "5"} <= set(ticks), ticks  # sigma values at log-space positions
    assert not [t for t in ticks if "e-" in t], ticks
    assert "final mu, sigma" in widget.locator(".jgw-status-table").inner_text()
    final = page.evaluate(DENSITY_D)
    assert final and final.count("L") > 50

    bar = play_at(page, widget, 15)
    shapes = []
    with count_kernel_frames(page, settle_ms=0) as frames:
        for _ in range(6):
            page.wait_for_timeout(180)
            shapes.append(page.evaluate(DENSITY_D))
    assert frames.total == 0, frames.msg_types()
    assert len(set(shapes)) >= 4, "the density did not change between frames"
    assert final not in shapes[:2], "playback should start from the first step's density"
    screenshot(page, "playing")
    bar.locator("[data-testid='jgw-pause']").or_(bar.locator("[data-testid='jgw-play']")).click()
    assert_no_console_errors(page)
