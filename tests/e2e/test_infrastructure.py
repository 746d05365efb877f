"""Smoke test of the browser-test infrastructure, with plain ipywidgets + bqplot.

If this fails, the widget tests cannot be trusted: fix the infrastructure first.
One notebook (a slider driving a bqplot line through ``observe``) is run in
JupyterLab, Notebook 7 and Voilà.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .pages import (
    ConsoleEntry,
    NotebookError,
    assert_no_console_errors,
    count_kernel_frames,
    decode_kernel_frame,
    is_harmless,
    open_lab_notebook,
    open_notebook7,
    open_voila,
    run_all_cells_lab,
    run_all_cells_notebook7,
    svg_attr,
    wait_for_attr_change,
)

NOTEBOOK = "infra_smoke"
SLIDER = ".widget-slider"
SLIDER_HANDLE = ".widget-slider .noUi-handle"
LINE = ".bqplot path.line"
FIGURE_SVG = ".bqplot svg.svg-figure"

CELLS = [
    "import sys\nprint('PREFIX=' + sys.prefix)\nprint('EXECUTABLE=' + sys.executable)",
    """\
import bqplot as bq
import ipywidgets as W
import numpy as np

xs = np.linspace(0.0, 1.0, 50)
sx, sy = bq.LinearScale(), bq.LinearScale(min=-6.0, max=6.0)
line = bq.Lines(x=xs, y=xs, scales={"x": sx, "y": sy})
fig = bq.Figure(
    marks=[line],
    axes=[bq.Axis(scale=sx), bq.Axis(scale=sy, orientation="vertical")],
    layout=W.Layout(width="600px", height="400px"),
)
slider = W.IntSlider(value=1, min=0, max=5, description="k")
slider.observe(lambda change: setattr(line, "y", change["new"] * xs), "value")
W.VBox([slider, fig])""",
]


@pytest.fixture(scope="module")
def smoke_notebook(notebook_dir: Path) -> Path:
    from .notebooks import write_notebook

    return write_notebook(notebook_dir, NOTEBOOK, CELLS)


def _press_right_and_check_line(page) -> None:
    before = svg_attr(page, LINE)
    with count_kernel_frames(page) as frames:
        page.locator(SLIDER_HANDLE).focus()
        page.keyboard.press("ArrowRight")
        after = wait_for_attr_change(page, LINE, before)
    assert after != before
    # One comm message up (slider value), at least the line update back.
    assert frames.sent >= 1, frames.msg_types()
    assert frames.received >= 1, frames.msg_types()
    assert frames.msg_types("sent")["comm_msg"] >= 1, frames.msg_types("sent")


def test_jupyterlab_slider_moves_bqplot_line(page, jupyter_server, smoke_notebook, screenshot):
    open_lab_notebook(page, jupyter_server, NOTEBOOK)
    run_all_cells_lab(page)

    # The kernel runs the venv's interpreter, so it sees our packages.
    out = page.locator(".jp-OutputArea-output", has_text="PREFIX=").first.inner_text()
    assert f"PREFIX={sys.prefix}" in out
    exe = out.split("EXECUTABLE=")[1].strip()
    assert Path(exe).parent == Path(sys.executable).parent, exe

    page.locator(SLIDER).wait_for()
    _press_right_and_check_line(page)
    assert page.locator(f"{SLIDER} .widget-readout").inner_text().strip() == "2"
    screenshot(page)
    assert_no_console_errors(page)


def test_notebook7_renders_slider_and_figure(page, notebook7_server, smoke_notebook, screenshot):
    open_notebook7(page, notebook7_server, NOTEBOOK)
    run_all_cells_notebook7(page)
    page.locator(SLIDER).wait_for()
    page.locator(FIGURE_SVG).wait_for()
    page.locator(LINE).wait_for(state="attached")
    screenshot(page)
    assert_no_console_errors(page)


def test_voila_renders_and_slider_moves_line(page, voila_server, smoke_notebook, screenshot):
    server = voila_server(smoke_notebook)
    open_voila(page, server.url)
    page.locator(SLIDER).wait_for()
    page.locator(FIGURE_SVG).wait_for()
    _press_right_and_check_line(page)
    screenshot(page)
    assert_no_console_errors(page)


def test_run_all_reports_a_failing_cell_at_once(page, jupyter_server, notebook_dir):
    from .notebooks import write_notebook

    write_notebook(notebook_dir, "infra_error", ["x = 1", "1 / 0", "print('never')"])
    open_lab_notebook(page, jupyter_server, "infra_error")
    with pytest.raises(NotebookError, match="ZeroDivisionError"):
        run_all_cells_lab(page, timeout=30_000)


def test_decode_kernel_frame_understands_both_protocols():
    import json
    import struct

    header = json.dumps({"msg_type": "comm_msg"}).encode()
    parts = [b"shell", header, b"{}", b"{}", b"{}"]
    offsets = [8 * (len(parts) + 2)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    v1 = struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(parts)
    assert decode_kernel_frame(v1) == ("shell", "comm_msg")
    legacy = json.dumps({"channel": "iopub", "header": {"msg_type": "status"}})
    assert decode_kernel_frame(legacy) == ("iopub", "status")
    assert decode_kernel_frame(b"garbage") == (None, None)


def test_noise_filter_keeps_errors_from_our_code():
    cdn = ConsoleEntry(
        "console",
        "error",
        "Failed to load resource: net::ERR_NAME_NOT_RESOLVED",
        "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@5/css/all.min.css",
    )
    assert is_harmless(cdn)
    ours = ConsoleEntry(
        "pageerror",
        "error",
        "TypeError: x is undefined",
        stack="at render (http://127.0.0.1:1/jaxgrad_widgets/static/widget.js:1:2)",
    )
    assert not is_harmless(ours)
    plain = ConsoleEntry("pageerror", "error", "TypeError: x is undefined")
    assert not is_harmless(plain)
