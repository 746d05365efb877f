"""A slow objective in Voilà: progress, a path that grows, and a slider that starts over.

The objective is ``slow_bowl`` of tests/python/test_responsive.py: every gradient
takes 50 ms, so 60 steps take about 3 s. What a user sees: a progress bar and
"computing step k of 60" while the path grows on the map; moving the learning-rate
slider meanwhile starts the descent over with the new rate; at the end the progress
bar goes away and the status line says what was computed.
"""

from __future__ import annotations

import re
from pathlib import Path

from .pages import assert_no_console_errors, open_voila
from .test_dashboard import ROOT, path_d, wait_path_change

TESTS = Path(__file__).resolve().parents[1] / "python"
STATUS = f"{ROOT} .jgw-status-line"
PROGRESS = f"{ROOT} .jgw-progress"


def computing_step(page) -> int:
    """k of the status line's 'computing step k of n' (n once the descent is done)."""
    text = page.locator(STATUS).first.inner_text()
    match = re.match(r"computing step (\d+) of", text)
    return int(match.group(1)) if match else 10**9


def wait_for_status(page, text: str, at_start: bool, timeout: float = 30_000) -> None:
    # By selector: the status line's element is replaced whenever its text changes.
    test = "startsWith" if at_start else "includes"
    page.wait_for_function(
        f"([selector, text]) => document.querySelector(selector).innerText.{test}(text)",
        arg=[STATUS, text],
        timeout=timeout,
    )


def test_a_slow_descent_shows_progress_and_starts_over(page, voila_server, make_notebook,
                                                      screenshot):  # fmt: skip
    notebook = make_notebook("slow_objective", [
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\nfrom test_responsive import _widget",
        "w = _widget(steps=60)\nw",
    ])  # fmt: skip
    server = voila_server(notebook)
    open_voila(page, server.url)
    status = page.locator(STATUS).first
    wait_for_status(page, "computing step", at_start=True)
    assert page.locator(PROGRESS).first.is_visible()

    # The partial path is drawn and redrawn as the descent goes on.
    first, step = wait_path_change(page, 0, None, timeout=30_000), computing_step(page)
    grown = wait_path_change(page, 0, first, timeout=30_000)
    assert computing_step(page) > step
    screenshot(page, "computing")

    # A slider move supersedes it: the new rate's descent starts over.
    handle = page.locator(f"{ROOT} .jgw-controls .widget-slider", has_text="learning rate")
    handle.first.locator(".noUi-handle").focus()
    before = computing_step(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(  # a lower step count: the new rate's descent started over
        "([selector, before]) => { const m = document.querySelector(selector).innerText"
        ".match(/^computing step (\\d+) of/); return m !== null && +m[1] < before; }",
        arg=[STATUS, before],
    )

    # The end: no progress bar, the whole path, and what was computed.
    wait_for_status(page, "computed in", at_start=False, timeout=60_000)
    assert "60 steps from 1 start" in status.inner_text()
    assert "learning rate 0.1023" in status.inner_text()  # the slider's new rate
    page.locator(PROGRESS).first.wait_for(state="hidden")
    assert path_d(page, 0) not in (first, grown)
    screenshot(page, "done")
    assert_no_console_errors(page)
