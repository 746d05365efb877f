"""Browser latency benchmark: slider key press -> changed path in the DOM.

Run: ``.venv/bin/python benchmarks/latency.py`` (needs Debian's chromium). Starts a
JupyterLab server, opens notebooks in headless Chromium and prints a table; asserts
nothing. Measured in one run:

* GradDescentWidget, 1 start x 300 steps and 16 starts x 1000 steps: median time
  from the learning-rate slider's ArrowRight keydown to the next change of the
  first path's ``d`` attribute, over N trials;
* the same interaction written by hand with ``ipywidgets.interact`` + matplotlib
  (contour + path redrawn as a PNG), as the reference: keydown -> new <img>;
* the platform's floor: a bare ``FloatSlider`` -> ``observe`` -> the same jitted
  300-step ``lax.scan`` -> one bqplot ``Lines`` of 301 points, keydown -> new ``d``;
* playback of 16 x 1000: frames drawn per second and kernel websocket frames;
* bytes on the kernel websocket per update: the largest message of an update (the
  Player's, or the floor's Lines update) against the raw float32 bytes of the arrays
  that change. For GradDescentWidget those are, per start, the path's x and y, the
  gradient-arrow tips' x and y and the loss: ``5 * 4 * (steps + 1)`` bytes; for the
  floor, x and y of 301 points. (The step numbers of the loss curves are made in the
  browser and the landscape does not change.)

With ``--breakdown`` the widget cases also print, from the Player's debug log
(``window.__jgwDebug``), where the time goes: key press -> Player message arrives,
the Player writing the marks, and its end -> the path's ``d`` changes (bqplot sets
``d`` in a transition, on the next animation frame).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.notebooks import write_notebook  # noqa: E402
from tests.e2e.pages import (  # noqa: E402
    attach_kernel_socket_monitor,
    count_kernel_frames,
    open_lab_notebook,
    run_all_cells_lab,
)
from tests.e2e.servers import isolated_jupyter_env, start_jupyter_lab  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

WIDGET_CELL = """\
import numpy as np
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
rng = np.random.default_rng(0)
starts = {starts}
w = GradDescentWidget(goldfield, starts=starts, steps={steps}, learning_rate=0.001)
w"""

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

# Installs a keydown timestamp and waits for the next change of the watched element.
_ARM_JS = """([selector, attribute]) => {
  const el = document.querySelector(selector);
  window.__lat = {down: null, changed: null};
  document.addEventListener('keydown', () => {
    if (window.__lat.down === null) window.__lat.down = performance.now();
  }, {capture: true, once: true});
  const root = el.closest('.jp-OutputArea') || document.body;
  const obs = new MutationObserver(() => {
    const now = document.querySelector(selector);
    if (now && (now !== el || now.getAttribute(attribute) !== window.__lat.before)) {
      window.__lat.changed = performance.now(); obs.disconnect();
    }
  });
  window.__lat.before = el.getAttribute(attribute);
  obs.observe(root, {subtree: true, attributes: true, childList: true,
                     attributeFilter: [attribute]});
}"""

PATH_SELECTOR = ".jgw-map path.line[style*='stroke: rgb(255, 59, 48)']"
IMAGE_SELECTOR = ".jp-OutputArea-output img"
FLOOR_SELECTOR = ".floor-figure path.line"
WIDGET_HANDLE = ".jgw-controls .widget-slider:has-text('learning rate') .noUi-handle"


# From the Player's debug log of one trial: message arrival and the first draw after it.
_STAGES_JS = """() => {
  const lat = window.__lat, log = window.__jgwMarks || [];
  const message = log.find((e) => e.event === 'message' && e.t >= lat.down);
  const draw = message && log.find((e) => e.event === 'draw' && e.t >= message.t);
  if (!draw) return null;
  return [message.t - lat.down, draw.ms, lat.changed - (draw.t + draw.ms)];
}"""


def measure(page, handle_selector: str, selector: str, attribute: str, trials: int,
            stages: list | None = None) -> list[float]:  # fmt: skip
    """Key press -> changed ``attribute`` of ``selector``, in ms; ``stages`` gets the breakdown."""
    page.locator(handle_selector).first.focus()
    times = []
    for i in range(trials):
        if stages is not None:
            page.evaluate("() => { window.__jgwDebug = true; window.__jgwMarks = []; }")
        page.evaluate(_ARM_JS, [selector, attribute])
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function("() => window.__lat.changed !== null", timeout=20_000)
        times.append(page.evaluate("() => window.__lat.changed - window.__lat.down"))
        page.wait_for_timeout(150)  # let the kernel go idle between trials
        if stages is not None:
            found = page.evaluate(_STAGES_JS)
            if found:
                stages.append(found)
    page.evaluate("() => { window.__jgwDebug = false; }")
    return times


def update_bytes(page, handle_selector: str, updates: int = 5, settle_ms: int = 400):
    """Bytes received per update: all kernel frames, and the largest message (max over updates)."""
    page.locator(handle_selector).first.focus()
    totals, largest = [], []
    for i in range(updates):
        with count_kernel_frames(page, settle_ms=settle_ms) as frames:
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        totals.append(frames.received_bytes)
        sizes = [f.size for f in frames.frames if f.direction == "received"]
        largest.append(max(sizes, default=0))
    return max(totals), max(largest)


def widget_case(page, server, directory, name, starts, steps, trials, breakdown=False):
    cell = WIDGET_CELL.format(starts=starts, steps=steps)
    path = write_notebook(directory, name, [cell])
    open_lab_notebook(page, server, path.name)
    run_all_cells_lab(page)
    page.locator(PATH_SELECTOR).first.wait_for(state="attached")
    measure(page, WIDGET_HANDLE, PATH_SELECTOR, "d", 3)  # warm up
    stages: list | None = [] if breakdown else None
    times = measure(page, WIDGET_HANDLE, PATH_SELECTOR, "d", trials, stages)
    total, largest = update_bytes(page, WIDGET_HANDLE)
    return times, total, largest, stages


def floor_case(page, server, directory, trials):
    path = write_notebook(directory, "floor", [FLOOR_CELL])
    open_lab_notebook(page, server, path.name)
    run_all_cells_lab(page)
    page.locator(FLOOR_SELECTOR).first.wait_for(state="attached")
    handle = ".floor-slider .noUi-handle"
    measure(page, handle, FLOOR_SELECTOR, "d", 3)  # warm up
    times = measure(page, handle, FLOOR_SELECTOR, "d", trials)
    total, largest = update_bytes(page, handle)
    return times, total, largest


#: Chromium's cumulative main-thread times (seconds), from the DevTools protocol.
_BUSY = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def _busy(cdp) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics.get(name, 0.0) for name in _BUSY}


def playback(page) -> tuple[float, int, dict[str, float]]:
    """Frames/s over 3 s of playback from frame 0, kernel frames, main-thread ms per frame.

    The main-thread time per frame drawn (all tasks, and of it script, layout and style)
    shows what the frame rate hides once it reaches the display's 60 Hz.
    """
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    bar = page.locator("[data-testid='jgw-transport']").first
    bar.locator("[data-testid='jgw-reset']").click()
    page.wait_for_timeout(300)
    bar.locator("[data-testid='jgw-play']").click()
    page.wait_for_timeout(300)
    first = int(bar.get_attribute("data-frames-drawn"))
    before = _busy(cdp)
    start = time.perf_counter()
    with count_kernel_frames(page, settle_ms=0) as frames:
        page.wait_for_timeout(3000)
        drawn = int(bar.get_attribute("data-frames-drawn"))
    seconds = time.perf_counter() - start
    after = _busy(cdp)
    count = max(drawn - first, 1)
    per_frame = {name: 1000 * (after[name] - before[name]) / count for name in _BUSY}
    return (drawn - first) / seconds, frames.total, per_frame


def _new_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    attach_kernel_socket_monitor(page)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=25)
    parser.add_argument("--breakdown", action="store_true",
                        help="also print where the widget cases' time goes")  # fmt: skip
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jgw-latency-"))
    env = isolated_jupyter_env(work / "home")
    notebooks = work / "notebooks"
    notebooks.mkdir()
    server = start_jupyter_lab(notebooks, work / "logs", env)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            one = widget_case(_new_page(browser), server, notebooks, "one", "[(0.1, 0.1)]", 300,
                              args.trials, args.breakdown)  # fmt: skip
            page = _new_page(browser)
            many = widget_case(page, server, notebooks, "many", "rng.uniform(-1.9, 1.9, (16, 2))",
                               1000, args.trials, args.breakdown)  # fmt: skip
            fps, playback_frames, per_frame = playback(page)
            floor = floor_case(_new_page(browser), server, notebooks, args.trials)

            page = _new_page(browser)
            path = write_notebook(notebooks, "reference", [MATPLOTLIB_CELL])
            open_lab_notebook(page, server, path.name)
            run_all_cells_lab(page)
            page.locator(IMAGE_SELECTOR).first.wait_for()
            handle = ".widget-slider .noUi-handle"
            reference = measure(page, handle, IMAGE_SELECTOR, "src", args.trials)
            reference_total, reference_largest = update_bytes(page, handle, 2, settle_ms=800)
            browser.close()
    finally:
        server.stop()

    def raw(starts: int, steps: int) -> int:
        # Per start: path x and y, arrow-tip x and y, loss; float32.
        return 5 * 4 * (steps + 1) * starts

    rows = [
        ("GradDescentWidget 1 start x 300 steps", one[0], one[1], one[2], raw(1, 300)),
        ("GradDescentWidget 16 starts x 1000 steps", many[0], many[1], many[2], raw(16, 1000)),
        ("floor: FloatSlider -> observe -> Lines, 301", floor[0], floor[1], floor[2], 2 * 4 * 301),
        ("interact + matplotlib (reference), 1 x 300", reference, reference_total,
         reference_largest, None),
    ]  # fmt: skip
    print(f"\nslider key press -> changed figure in the DOM, {args.trials} trials each "
          "(JupyterLab, headless Chromium)")  # fmt: skip
    print(f"{'case':44} {'median':>9} {'p90':>9} {'all frames':>11} {'payload':>9} "
          f"{'raw float32':>12} {'over raw':>9}")  # fmt: skip
    for label, times, total, largest, raw_bytes in rows:
        p90 = statistics.quantiles(times, n=10)[-1]
        raw_text = f"{raw_bytes:,}" if raw_bytes else "-"
        over = f"{largest - raw_bytes:+,}" if raw_bytes else "-"
        print(f"{label:44} {statistics.median(times):6.1f} ms {p90:6.1f} ms {total:11,} "
              f"{largest:9,} {raw_text:>12} {over:>9}")  # fmt: skip
    print("(payload: the largest kernel message of an update, max over 5 updates; all frames: "
          "every kernel frame of an update)")  # fmt: skip
    ref = statistics.median(reference)

    def speedup(times: list[float]) -> str:
        return f"{ref / statistics.median(times):.1f}x"

    print(f"\nspeed-up over the matplotlib reference: 1 start {speedup(one[0])}, "
          f"16 starts {speedup(many[0])}; floor {speedup(floor[0])}")  # fmt: skip
    print(f"playback of 16 x 1000: {fps:.1f} frames/s, {playback_frames} kernel websocket frames "
          "in 3 s of playback")  # fmt: skip
    busy = {name: f"{value:.1f}" for name, value in per_frame.items()}
    print(f"  renderer main thread per frame drawn: {busy['TaskDuration']} ms busy (script "
          f"{busy['ScriptDuration']}, layout {busy['LayoutDuration']}, style "
          f"{busy['RecalcStyleDuration']})")  # fmt: skip
    for label, case in (("1 start", one), ("16 starts", many)):
        stages = case[3]
        if stages:
            parts = [statistics.median(s[i] for s in stages) for i in range(3)]
            print(f"where the time goes, {label} (medians): key press -> Player message "
                  f"{parts[0]:.1f} ms, Player writes the marks {parts[1]:.1f} ms, "
                  f"-> path's d changed {parts[2]:.1f} ms")  # fmt: skip
    print(
        "targets: <= 20 ms (1 start), <= 40 ms (16 starts), >= 6x the reference, "
        ">= 55 frames/s with 0 kernel messages, payload within 1 KB of raw float32"
    )


if __name__ == "__main__":
    main()
