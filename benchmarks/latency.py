"""Browser latency benchmark: an input's key press or drag -> changed path in the DOM.

Run: ``.venv/bin/python benchmarks/latency.py`` (needs Debian's chromium; takes several
minutes). Starts a JupyterLab server and Voilà servers, opens notebooks in headless
Chromium and prints a table; asserts nothing. Measured in one run:

* GradDescentWidget, 1 start x 300 steps and 16 starts x 1000 steps, in JupyterLab and
  in Voilà: median and p90 time from the learning-rate slider's keydown (ArrowRight
  and ArrowLeft in turn) to the next change of start 0's path ``d``, over N trials.
  After each input change the dashboard hands the browser a *family*, the runs at the
  slider's neighbouring positions, so a press is answered in the browser. Measuring
  starts once the family is there (``data-family-size`` > 0 on the transport bar);
  after each trial it waits for the recentred family and a quiet kernel, so every
  press lands on a member. ``answered`` counts the trials the browser answered
  itself (``data-member`` >= 0 when the path changed);
* inputs that go through the kernel: the momentum slider of a widget with
  ``optimizer="momentum"`` (keydown -> ``d``), and a drag of start 0's marker (mouse
  down on it, then small moves, one per trial: each move -> ``d``);
* the platform's floor: a bare ``FloatSlider`` -> ``observe`` -> the same jitted
  300-step ``lax.scan`` -> one bqplot ``Lines`` of 301 points, keydown -> new ``d``;
* the reference: the same interaction written by hand with ``ipywidgets.interact`` +
  matplotlib (contour + path redrawn as a PNG), keydown -> new <img>; every case's
  speed-up over it is printed;
* playback of 16 x 1000: frames drawn per second over 3 s, kernel websocket frames
  meanwhile, and the renderer's main-thread ms per frame drawn. Below 58 frames/s
  (or with ``--breakdown``) it also prints where the frames go: the Player's debug
  log (``window.__jgwDebug``: per draw and per mark) and a Chromium trace;
* bytes on the kernel websocket per learning-rate update (JupyterLab): all frames
  but the family's, and the largest of them (the Player's load of the run) against
  the raw float32 bytes of the arrays that change: per start the path's x and y, the
  gradient-arrow tips' x and y and the loss, ``5 * 4 * (steps + 1)`` bytes (the floor:
  x and y of 301 points); and the family's message: its size on the wire against
  its float32 data (members x the same arrays), i.e. its header.

Only the JupyterLab learning-rate, floor and reference cases report bytes; the
Voilà, momentum and drag cases measure latency only.

``--source DIR`` makes the kernels import jaxgrad_widgets from the checkout DIR
(``PYTHONPATH`` of the servers; its front end must be built into
``DIR/jaxgrad_widgets/static``), so that an older version is measured the same way;
the file the kernels imported is printed. The family waits are time-limited, so a
version without families works too (its learning-rate presses take the kernel round
trip). ``--cases`` runs a subset.

With ``--breakdown`` the widget cases also print, from the Player's debug log, where
the time goes: for a press answered from the family, key press -> the Player's draw
of the member (event "member"), the Player writing the marks, and its end -> the
path's ``d`` changes (bqplot sets ``d`` in a transition, on the next animation
frame); for an answer from the kernel, key press -> Player message arrives, the draw,
-> ``d`` changed.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from latency_support import Message, WireLog, trace_summary  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from jaxgrad_widgets.widgets.palette import START_COLORS  # noqa: E402
from tests.e2e.notebooks import write_notebook  # noqa: E402
from tests.e2e.pages import (  # noqa: E402
    attach_kernel_socket_monitor,
    count_kernel_frames,
    open_lab_notebook,
    open_voila,
    run_all_cells_lab,
)
from tests.e2e.servers import (  # noqa: E402
    isolated_jupyter_env,
    start_jupyter_lab,
    start_voila,
)
from tests.e2e.test_dashboard import ROOT, _rgb, start_markers  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

CASES = ("lab", "voila", "momentum", "drag", "floor", "reference", "playback")

WIDGET_CELL = """\
import numpy as np
import jaxgrad_widgets
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
print("jaxgrad_widgets from", jaxgrad_widgets.__file__)
rng = np.random.default_rng(0)
starts = {starts}
w = GradDescentWidget(goldfield, starts=starts, steps={steps}, learning_rate=0.001{more})
w"""

#: The widget sizes: label -> (starts expression, steps, number of starts).
SIZES = {
    "1 x 300": ("[(0.1, 0.1)]", 300, 1),
    "16 x 1000": ("rng.uniform(-1.9, 1.9, (16, 2))", 1000, 16),
}

#: The hand-written path both references use: 300 steps of goldfield from (0.1, 0.1).
REFERENCE_PATH = """\
import jax, jax.numpy as jnp, numpy as np
from jaxgrad_widgets.functions import goldfield

grad = jax.grad(lambda p: goldfield(p[0], p[1]))

@jax.jit
def path(lr):
    def step(p, _):
        return p - lr * grad(p), p
    return jax.lax.scan(step, jnp.array([0.1, 0.1]), None, length=301)[1]
"""

MATPLOTLIB_CELL = (
    REFERENCE_PATH
    + """
%matplotlib inline
import matplotlib.pyplot as plt
from ipywidgets import interact, FloatLogSlider

xs = np.linspace(-2, 2, 120); X, Y = np.meshgrid(xs, xs); Z = goldfield(X, Y)

def draw(learning_rate=0.001):
    p = np.asarray(path(learning_rate))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(X, Y, Z, levels=30)
    ax.contour(X, Y, Z, levels=15, colors="w", linewidths=0.5)
    ax.plot(p[:, 0], p[:, 1], "r-")
    ax.set_xlim(-2, 2); ax.set_ylim(-2, 2)
    plt.show()

interact(draw, learning_rate=FloatLogSlider(value=0.001, base=10, min=-5, max=1, step=0.01))"""
)

# The floor: the least a slider -> JAX -> bqplot update can cost on this platform.
FLOOR_CELL = (
    REFERENCE_PATH
    + """
import bqplot, ipywidgets

scales = {"x": bqplot.LinearScale(min=-2.0, max=2.0), "y": bqplot.LinearScale(min=-2.0, max=2.0)}
p = np.asarray(path(0.001), dtype=np.float32)
line = bqplot.Lines(x=p[:, 0], y=p[:, 1], scales=scales, colors=["#ff3b30"])
fig = bqplot.Figure(marks=[line], layout=ipywidgets.Layout(width="440px", height="440px"))
fig.add_class("floor-figure")
slider = ipywidgets.FloatLogSlider(value=0.001, base=10, min=-5, max=1, step=0.01,
                                   description="learning rate")
slider.add_class("floor-slider")

def update(change):
    p = np.asarray(path(change["new"]), dtype=np.float32)
    with line.hold_sync():
        line.x, line.y = p[:, 0], p[:, 1]

slider.observe(update, "value")
ipywidgets.VBox([slider, fig])"""
)

# Stamps the input event (keydown or pointermove) and the next change of the watched
# element; also reads the transport bar's data-member at that change.
_ARM_JS = """([selector, attribute, trigger, bar]) => {
  const el = document.querySelector(selector);
  window.__lat = {down: null, changed: null, member: null};
  document.addEventListener(trigger, () => {
    if (window.__lat.down === null) window.__lat.down = performance.now();
  }, {capture: true, once: true});
  const root = el.closest('.jp-OutputArea') || document.body;
  const obs = new MutationObserver(() => {
    const now = document.querySelector(selector);
    if (now && (now !== el || now.getAttribute(attribute) !== window.__lat.before)) {
      window.__lat.changed = performance.now(); obs.disconnect();
      const b = bar && document.querySelector(bar);
      window.__lat.member = b ? b.getAttribute('data-member') : null;
    }
  });
  window.__lat.before = el.getAttribute(attribute);
  obs.observe(root, {subtree: true, attributes: true, childList: true,
                     attributeFilter: [attribute]});
}"""

BAR = f"{ROOT} [data-testid='jgw-transport']"


#: Start 0's path on the map, found by its palette colour.
PATH_SELECTOR = f".jgw-map path.line[style*='stroke: {_rgb(START_COLORS[0])}']"
IMAGE_SELECTOR = ".jp-OutputArea-output img"
FLOOR_SELECTOR = ".floor-figure path.line"


def slider_handle(label: str) -> str:
    return f"{ROOT} .jgw-controls .widget-slider:has-text('{label}') .noUi-handle"


# From the Player's debug log of one trial: the member's draw (answered in the browser)
# or the message's arrival and the first draw after it (answered by the kernel).
_STAGES_JS = """() => {
  const lat = window.__lat, log = window.__jgwMarks || [];
  const member = log.find((e) => e.event === 'member' && e.t >= lat.down && e.member >= 0);
  if (member) return ['family', member.t - lat.down, member.ms,
                      lat.changed - (member.t + member.ms)];
  const message = log.find((e) => e.event === 'message' && e.t >= lat.down);
  const draw = message && log.find((e) => e.event === 'draw' && e.t >= message.t);
  if (!draw) return null;
  return ['kernel', message.t - lat.down, draw.ms, lat.changed - (draw.t + draw.ms)];
}"""

#: How long to wait for the family after the dashboard appears, and after a trial.
FAMILY_FIRST_MS = 30_000
FAMILY_AFTER_MS = 5_000


@dataclass
class Result:
    """One case: ms per trial, the data-member seen at each change, the breakdown."""

    times: list[float] = field(default_factory=list)
    members: list[str | None] = field(default_factory=list)
    family: int = 0  # members of the family when measuring began (0: none)
    late: int = 0  # trials after which no recentred family arrived in time
    stages: list[list] = field(default_factory=list)

    @property
    def answered(self) -> str:
        if all(m is None for m in self.members):
            return "-"
        return f"{sum(m is not None and int(m) >= 0 for m in self.members)}/{len(self.members)}"


@dataclass
class Bytes:
    total: int  # every received frame of an update but the family's (max over updates)
    largest: int  # the largest of them
    family: Message | None = None  # the largest family message seen


def family_size(page, timeout_ms: int) -> int:
    """The members of the family in the browser, waiting up to ``timeout_ms`` for one;
    0 at once for a version without families (no data-family-size on the bar)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        size = page.evaluate(
            "(s) => { const b = document.querySelector(s);"
            " return b ? b.getAttribute('data-family-size') : 'no bar'; }",
            BAR,
        )
        if size is None:
            return 0
        if size != "no bar" and int(size) > 0:
            return int(size)
        if time.monotonic() > deadline:
            return 0
        page.wait_for_timeout(50)


def settle(page, frames, wire: WireLog, start: float, family: bool) -> bool:
    """Wait until the kernel is quiet and, with a family, the recentred family is in
    the browser. False when no family message came within FAMILY_AFTER_MS."""
    arrived = True
    if family:
        arrived = wire.wait_for(lambda m: m.family, start, FAMILY_AFTER_MS)
    frames.wait_until_quiet(quiet_ms=300, timeout_ms=30_000)
    if family:
        family_size(page, FAMILY_AFTER_MS)
    return arrived


def measure(page, wire: WireLog, act, selector: str, trials: int, *, attribute: str = "d",
            trigger: str = "keydown", family: int = 0, stages: bool = False) -> Result:  # fmt: skip
    """``act(i)`` makes trial ``i``'s input; each trial: input -> changed ``attribute``
    of ``selector`` (ms), then :func:`settle`."""
    result = Result(family=family)
    for i in range(trials):
        if stages:
            page.evaluate("() => { window.__jgwDebug = true; window.__jgwMarks = []; }")
        page.evaluate(_ARM_JS, [selector, attribute, trigger, BAR])
        start = time.monotonic()
        with count_kernel_frames(page, settle_ms=0) as frames:
            act(i)
            page.wait_for_function("() => window.__lat.changed !== null", timeout=30_000)
            lat = page.evaluate("() => window.__lat")
            result.times.append(lat["changed"] - lat["down"])
            result.members.append(lat["member"])
            result.late += not settle(page, frames, wire, start, family > 0)
        if stages:
            found = page.evaluate(_STAGES_JS)
            if found:
                result.stages.append(found)
    page.evaluate("() => { window.__jgwDebug = false; }")
    return result


def press(page, handle: str):
    """Focus ``handle``; an ``act`` that presses ArrowRight and ArrowLeft in turn."""
    page.locator(handle).first.focus()
    return lambda i: page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")


def key_case(page, wire, handle, selector, trials, breakdown=False, family=0) -> Result:
    measure(page, wire, press(page, handle), selector, 3, family=family)  # warm up
    act = press(page, handle)
    return measure(page, wire, act, selector, trials, family=family, stages=breakdown)


def update_bytes(page, wire: WireLog, handle: str, family: bool, updates: int = 5) -> Bytes:
    """Bytes received per key press on ``handle``, max over ``updates`` presses."""
    act = press(page, handle)
    totals, largest, families = [], [], []
    for i in range(updates):
        start = time.monotonic()
        with count_kernel_frames(page, settle_ms=0) as frames:
            act(i)
            page.wait_for_timeout(50)
            settle(page, frames, wire, start, family)
        received = [m for m in wire.since(start) if m.direction == "received"]
        others = [m.size for m in received if not m.family]
        totals.append(sum(others))
        largest.append(max(others, default=0))
        families += [m for m in received if m.family]
    best = max(families, key=lambda m: m.size, default=None)
    return Bytes(max(totals), max(largest), best)


def open_widget(page, url_or_server, notebooks, name, cell, imported: set[str]) -> None:
    """Open the widget's notebook in JupyterLab (a server) or Voilà (a URL) and wait for
    start 0's path; note which jaxgrad_widgets the kernel imported."""
    if isinstance(url_or_server, str):
        open_voila(page, url_or_server)
    else:
        path = write_notebook(notebooks, name, [cell])
        open_lab_notebook(page, url_or_server, path.name)
        run_all_cells_lab(page)
    page.locator(PATH_SELECTOR).first.wait_for(state="attached", timeout=60_000)
    page.locator(BAR).first.wait_for(state="attached")
    found = page.evaluate(
        "() => (document.body.innerText.match(/jaxgrad_widgets from (\\S+)/) || [])[1] || null"
    )
    imported.add(found or "? (not printed)")


def learning_rate_case(page, wire, trials, breakdown) -> Result:
    family = family_size(page, FAMILY_FIRST_MS)
    handle = slider_handle("learning rate")
    return key_case(page, wire, handle, PATH_SELECTOR, trials, breakdown, family)


def drag_case(page, wire, trials, breakdown, pixels: float = 4.0) -> Result:
    """Mouse down on start 0's marker, then one move of a few pixels per trial (around a
    small square)."""
    family = family_size(page, FAMILY_FIRST_MS)
    page.locator(f"{ROOT} .jgw-map").first.scroll_into_view_if_needed()
    x, y = start_markers(page)[0]
    page.mouse.move(x, y)
    page.mouse.down()

    def act(i: int) -> None:
        page.mouse.move(x + (pixels if i % 2 == 0 else 0.0), y + (pixels if i % 4 < 2 else 0.0))

    try:
        measure(page, wire, act, PATH_SELECTOR, 2, trigger="pointermove", family=family)  # warm up
        return measure(page, wire, lambda i: act(i + 2), PATH_SELECTOR, trials,
                       trigger="pointermove", family=family, stages=breakdown)  # fmt: skip
    finally:
        page.mouse.up()


#: Chromium's cumulative main-thread times (seconds), from the DevTools protocol.
_BUSY = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def _busy(cdp) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics.get(name, 0.0) for name in _BUSY}


def _play_from_start(page):
    bar = page.locator(BAR).first
    bar.locator("[data-testid='jgw-reset']").click()
    page.wait_for_timeout(300)
    bar.locator("[data-testid='jgw-play']").click()
    page.wait_for_timeout(300)
    return bar


def _pause(page) -> None:
    bar = page.locator(BAR).first
    if bar.get_attribute("data-playing") == "true":
        bar.locator("[data-testid='jgw-play']").click()
    page.wait_for_timeout(300)


def playback(page) -> tuple[float, int, dict[str, float]]:
    """Frames/s over 3 s of playback from frame 0, kernel frames, main-thread ms per frame.

    The main-thread time per frame drawn (all tasks, and of it script, layout and style)
    shows what the frame rate hides once it reaches the display's 60 Hz.
    """
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    bar = _play_from_start(page)
    first = int(bar.get_attribute("data-frames-drawn"))
    before = _busy(cdp)
    start = time.perf_counter()
    with count_kernel_frames(page, settle_ms=0) as frames:
        page.wait_for_timeout(3000)
        drawn = int(bar.get_attribute("data-frames-drawn"))
    seconds = time.perf_counter() - start
    after = _busy(cdp)
    _pause(page)
    count = max(drawn - first, 1)
    per_frame = {name: 1000 * (after[name] - before[name]) / count for name in _BUSY}
    return (drawn - first) / seconds, frames.total, per_frame


def playback_breakdown(page, browser, seconds: float = 2.0) -> list[str]:
    """Where playback's frames go: the Player's debug log and a Chromium trace, together."""
    page.evaluate("() => { window.__jgwDebug = true; window.__jgwMarks = []; }")
    browser.start_tracing(page=page, categories=["devtools.timeline", "toplevel", "v8", "blink"])
    bar = _play_from_start(page)
    first = int(bar.get_attribute("data-frames-drawn"))
    page.evaluate("() => { window.__jgwMarks = []; }")
    page.wait_for_timeout(int(seconds * 1000))
    drawn = int(bar.get_attribute("data-frames-drawn")) - first
    log = page.evaluate("() => window.__jgwMarks")
    trace = browser.stop_tracing()
    page.evaluate("() => { window.__jgwDebug = false; }")
    _pause(page)

    def med(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def p90(values: list[float]) -> float:
        return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else med(values)

    draws = [e for e in log if e["event"] == "draw"]
    gaps = [b["t"] - a["t"] for a, b in itertools.pairwise(draws)]
    ms = [e["ms"] for e in draws]
    lines = [
        f"  where the frames go ({seconds:.0f} s traced, {drawn} frames drawn, {len(draws)} "
        f"Player draws): time between draws median {med(gaps):.1f} ms, p90 {p90(gaps):.1f}, "
        f"{sum(g > 20 for g in gaps)} over 20 ms; Player draw median {med(ms):.2f} ms, "
        f"p90 {p90(ms):.2f}, max {max(ms, default=0):.1f}",
    ]
    by_target: dict[int, list[dict]] = {}
    for e in log:
        if e["event"] == "mark":
            by_target.setdefault(e["target"], []).append(e)
    marks = [
        f"target {t}: {len(es)} writes, {med([e['ms'] for e in es]):.2f} ms median "
        f"(max {max(e['ms'] for e in es):.1f}), {med([e['points'] for e in es]):.0f} points"
        for t, es in sorted(by_target.items())
    ]
    if marks:
        lines.append("  Player mark writes: " + "; ".join(marks))
    summary = trace_summary(trace, max(drawn, 1))
    if summary:
        counts = {"frames over 20 ms", "animation frames"}
        parts = [f"{k} {v:.2f}" for k, v in summary.items() if k not in counts]
        lines.append("  trace, renderer main thread, ms per frame drawn: " + ", ".join(parts))
        lines.append(
            f"  trace: {summary.get('animation frames', 0):.0f} animation-frame "
            f"callbacks, {summary.get('frames over 20 ms', 0):.0f} gaps over 20 ms"
        )
    return lines


def _new_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    attach_kernel_socket_monitor(page)
    return page, WireLog(page)


def raw(starts: int, steps: int) -> int:
    """Float32 bytes of one run: per start path x and y, arrow-tip x and y, loss."""
    return 5 * 4 * (steps + 1) * starts


@dataclass
class Run:
    """What one run of the benchmark collects."""

    trials: int
    breakdown: bool
    notebooks: Path
    rows: dict[str, tuple[Result, Bytes | None, int | None]] = field(default_factory=dict)
    imported: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def lab_widgets(run: Run, browser, server, cases: set[str]) -> None:
    """The learning-rate, drag and playback cases (one page per size), then momentum."""
    for size, (starts, steps, count) in SIZES.items():
        playing = size == "16 x 1000" and "playback" in cases
        if not (cases & {"lab", "drag"} or playing):
            continue
        page, wire = _new_page(browser)
        cell = WIDGET_CELL.format(starts=starts, steps=steps, more="")
        open_widget(page, server, run.notebooks, f"lr-{count}", cell, run.imported)
        if "lab" in cases:
            result = learning_rate_case(page, wire, run.trials, run.breakdown)
            sent = update_bytes(page, wire, slider_handle("learning rate"), result.family > 0)
            run.rows[f"learning rate {size}, JupyterLab"] = (result, sent, raw(count, steps))
        if "drag" in cases:
            result = drag_case(page, wire, run.trials, run.breakdown)
            run.rows[f"drag start 0 {size}, JupyterLab"] = (result, None, None)
        if playing:
            fps, kernel_frames, per_frame = playback(page)
            busy = {name: f"{value:.1f}" for name, value in per_frame.items()}
            run.notes.append(
                f"playback of 16 x 1000: {fps:.1f} frames/s, {kernel_frames} kernel websocket "
                f"frames in 3 s of playback\n  renderer main thread per frame drawn: "
                f"{busy['TaskDuration']} ms busy (script {busy['ScriptDuration']}, layout "
                f"{busy['LayoutDuration']}, style {busy['RecalcStyleDuration']})"
            )
            if fps < 58 or run.breakdown:
                run.notes += playback_breakdown(page, browser)
        page.close()
        server.shutdown_kernels()
    if "momentum" not in cases:
        return
    for size, (starts, steps, count) in SIZES.items():
        page, wire = _new_page(browser)
        cell = WIDGET_CELL.format(starts=starts, steps=steps, more=', optimizer="momentum"')
        open_widget(page, server, run.notebooks, f"momentum-{count}", cell, run.imported)
        family = family_size(page, FAMILY_FIRST_MS)
        result = key_case(page, wire, slider_handle("momentum"), PATH_SELECTOR, run.trials,
                          run.breakdown, family)  # fmt: skip
        run.rows[f"momentum {size}, JupyterLab"] = (result, None, None)
        page.close()
        server.shutdown_kernels()


def lab_references(run: Run, browser, server, cases: set[str]) -> None:
    """The floor and the interact + matplotlib reference."""
    if "floor" in cases:
        page, wire = _new_page(browser)
        path = write_notebook(run.notebooks, "floor", [FLOOR_CELL])
        open_lab_notebook(page, server, path.name)
        run_all_cells_lab(page)
        page.locator(FLOOR_SELECTOR).first.wait_for(state="attached")
        handle = ".floor-slider .noUi-handle"
        result = key_case(page, wire, handle, FLOOR_SELECTOR, run.trials)
        sent = update_bytes(page, wire, handle, False)
        run.rows["floor: FloatSlider -> observe -> Lines, 301"] = (result, sent, 2 * 4 * 301)
        page.close()
        server.shutdown_kernels()
    if "reference" in cases:
        page, wire = _new_page(browser)
        path = write_notebook(run.notebooks, "reference", [MATPLOTLIB_CELL])
        open_lab_notebook(page, server, path.name)
        run_all_cells_lab(page)
        page.locator(IMAGE_SELECTOR).first.wait_for()
        handle = ".widget-slider .noUi-handle"
        act = press(page, handle)
        result = measure(page, wire, act, IMAGE_SELECTOR, run.trials, attribute="src")
        sent = update_bytes(page, wire, handle, False, updates=2)
        run.rows["interact + matplotlib (reference), 1 x 300"] = (result, sent, None)
        page.close()
        server.shutdown_kernels()


def voila_widgets(run: Run, browser, env: dict[str, str], logs: Path) -> None:
    """The learning-rate cases in Voilà: one server per notebook."""
    for size, (starts, steps, count) in SIZES.items():
        cell = WIDGET_CELL.format(starts=starts, steps=steps, more="")
        notebook = write_notebook(run.notebooks, f"voila-{count}", [cell])
        server = start_voila(notebook, logs, env)
        try:
            page, wire = _new_page(browser)
            open_widget(page, server.url, run.notebooks, "", cell, run.imported)
            result = learning_rate_case(page, wire, run.trials, run.breakdown)
            run.rows[f"learning rate {size}, Voilà"] = (result, None, None)
            page.close()
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=25)
    parser.add_argument("--breakdown", action="store_true",
                        help="also print where the widget cases' time goes")  # fmt: skip
    parser.add_argument("--source", type=Path, metavar="DIR",
                        help="kernels import jaxgrad_widgets from the checkout DIR")  # fmt: skip
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"comma-separated subset of {','.join(CASES)}")  # fmt: skip
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    if cases - set(CASES):
        parser.error(f"unknown cases: {sorted(cases - set(CASES))}")
    work = Path(tempfile.mkdtemp(prefix="jgw-latency-"))
    env = isolated_jupyter_env(work / "home")
    if args.source:
        source = args.source.resolve()
        if not (source / "jaxgrad_widgets" / "static" / "widget.js").exists():
            parser.error(f"{source}: no jaxgrad_widgets/static/widget.js (npm run build there)")
        env["PYTHONPATH"] = str(source)
    run = Run(args.trials, args.breakdown, work / "notebooks")
    run.notebooks.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        if cases - {"voila"}:
            server = start_jupyter_lab(run.notebooks, work / "logs", env)
            try:
                lab_widgets(run, browser, server, cases)
                lab_references(run, browser, server, cases)
            finally:
                server.stop()
        if "voila" in cases:
            voila_widgets(run, browser, env, work / "logs")
        browser.close()
    report(run)


def report(run: Run) -> None:
    rows, notes, imported, trials = run.rows, run.notes, run.imported, run.trials
    order = [label for label in rows if "reference" not in label] + [
        label for label in rows if "reference" in label
    ]
    print(f"\ninput -> changed figure in the DOM, {trials} trials each (headless Chromium)")
    print(f"{'case':44} {'median':>9} {'p90':>9} {'family':>6} {'answered':>8} {'all frames':>11} "
          f"{'payload':>9} {'raw float32':>12} {'over raw':>9}")  # fmt: skip
    for label in order:
        result, sent, raw_bytes = rows[label]
        times = result.times
        p90 = statistics.quantiles(times, n=10)[-1]
        total = f"{sent.total:,}" if sent else "-"
        largest = f"{sent.largest:,}" if sent else "-"
        raw_text = f"{raw_bytes:,}" if raw_bytes else "-"
        over = f"{sent.largest - raw_bytes:+,}" if sent and raw_bytes else "-"
        print(
            f"{label:44} {statistics.median(times):6.1f} ms {p90:6.1f} ms {result.family:6} "
            f"{result.answered:>8} {total:>11} {largest:>9} {raw_text:>12} {over:>9}"
        )
    print("(family: members in the browser when measuring began; answered: trials the browser "
          "answered from the family, data-member >= 0 at the change; payload: the largest "
          "kernel message of an update but the family's, max over 5 updates; all frames: "
          "every kernel frame received for an update but the family's)")  # fmt: skip
    late = {label: rows[label][0].late for label in order if rows[label][0].late}
    if late:
        print(f"trials after which no recentred family arrived within {FAMILY_AFTER_MS} ms: "
              + ", ".join(f"{label} {n}" for label, n in late.items()))  # fmt: skip
    for label in order:
        sent, raw_bytes = rows[label][1], rows[label][2]
        message = sent.family if sent else None
        if message is None or raw_bytes is None:
            continue
        data = message.buffers.get("family_data", 0)
        expected = message.members * raw_bytes
        print(f"family message, {label}: {message.size:,} bytes on the wire for "
              f"{message.members} members; family_data {data:,} bytes (members x raw float32 "
              f"= {expected:,}); header {message.size - data:+,} bytes")  # fmt: skip
    print("kernels imported jaxgrad_widgets from: " + ", ".join(sorted(imported)))

    reference = [rows[label][0] for label in order if "reference" in label]
    if reference:
        ref = statistics.median(reference[0].times)
        speedups = [
            f"{label.removesuffix(', JupyterLab')} "
            f"{ref / statistics.median(rows[label][0].times):.1f}x"
            for label in order
            if "reference" not in label
        ]
        print(
            "\nspeed-up over the matplotlib reference (measured in JupyterLab), JupyterLab "
            "unless said: " + "; ".join(speedups)
        )
    for note in notes:
        print(note)
    for label in order:
        stages = rows[label][0].stages
        for kind, title in (("family", "member drawn"), ("kernel", "Player message")):
            mine = [s[1:] for s in stages if s[0] == kind]
            if mine:
                parts = [statistics.median(s[i] for s in mine) for i in range(3)]
                print(
                    f"where the time goes, {label}, {len(mine)} answered by the {kind} "
                    f"(medians): key press -> {title} {parts[0]:.1f} ms, Player writes the "
                    f"marks {parts[1]:.1f} ms, -> path's d changed {parts[2]:.1f} ms"
                )
    print(
        "targets: learning rate <= 12 ms (1 x 300) and <= 20 ms (16 x 1000) median in "
        "JupyterLab, >= 8x the reference, the same in Voilà; momentum and drag no slower "
        "than before (the same benchmark with --source on the older checkout); playback of "
        "16 x 1000 >= 58 frames/s with 0 kernel messages; the family's bytes = its float32 "
        "bytes plus a small header"
    )


if __name__ == "__main__":
    main()
