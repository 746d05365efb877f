"""Browser latency benchmark: slider key press -> changed path in the DOM.

Run: ``.venv/bin/python benchmarks/latency.py`` (needs Debian's chromium). Starts a
JupyterLab server, opens notebooks in headless Chromium and prints a table; asserts
nothing. Measured in one run:

* GradDescentWidget, 1 start x 300 steps and 16 starts x 1000 steps: median time
  from the learning-rate slider's ArrowRight keydown to the next change of the
  first path's ``d`` attribute, over N trials;
* the same interaction written by hand with ``ipywidgets.interact`` + matplotlib
  (contour + path redrawn as a PNG), as the reference: keydown -> new <img>;
* playback of 16 x 1000: frames drawn per second and kernel websocket frames;
* bytes on the kernel websocket per update against the raw float32 arrays sent.
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

MATPLOTLIB_CELL = """\
%matplotlib inline
import jax, jax.numpy as jnp, numpy as np
import matplotlib.pyplot as plt
from ipywidgets import interact, FloatLogSlider
from jaxgrad_widgets.functions import goldfield

xs = np.linspace(-2, 2, 120); X, Y = np.meshgrid(xs, xs); Z = goldfield(X, Y)
grad = jax.grad(lambda p: goldfield(p[0], p[1]))

@jax.jit
def path(lr):
    def step(p, _):
        return p - lr * grad(p), p
    return jax.lax.scan(step, jnp.array([0.1, 0.1]), None, length=301)[1]

def draw(learning_rate=0.001):
    p = np.asarray(path(learning_rate))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(X, Y, Z, levels=30)
    ax.contour(X, Y, Z, levels=15, colors="w", linewidths=0.5)
    ax.plot(p[:, 0], p[:, 1], "r-")
    ax.set_xlim(-2, 2); ax.set_ylim(-2, 2)
    plt.show()

interact(draw, learning_rate=FloatLogSlider(value=0.001, base=10, min=-5, max=1, step=0.01))"""

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


def measure(page, handle_selector: str, selector: str, attribute: str, trials: int) -> list[float]:
    page.locator(handle_selector).first.focus()
    times = []
    for i in range(trials):
        page.evaluate(_ARM_JS, [selector, attribute])
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function("() => window.__lat.changed !== null", timeout=20_000)
        times.append(page.evaluate("() => window.__lat.changed - window.__lat.down"))
        page.wait_for_timeout(150)  # let the kernel go idle between trials
    return times


def widget_case(page, server, directory, name, starts, steps, trials):
    cell = WIDGET_CELL.format(starts=starts, steps=steps)
    path = write_notebook(directory, name, [cell])
    open_lab_notebook(page, server, path.name)
    run_all_cells_lab(page)
    page.locator(PATH_SELECTOR).first.wait_for(state="attached")
    handle = ".jgw-controls .widget-slider:has-text('learning rate') .noUi-handle"
    times = measure(page, handle, PATH_SELECTOR, "d", trials)
    # Bytes of one update on the websocket, against the float32 arrays it carries.
    page.locator(handle).first.focus()
    with count_kernel_frames(page, settle_ms=400) as frames:
        page.keyboard.press("ArrowRight")
    largest = max((f.size for f in frames.frames if f.direction == "received"), default=0)
    return times, frames.received_bytes, largest


def playback(page) -> tuple[float, int]:
    bar = page.locator("[data-testid='jgw-transport']").first
    bar.locator("[data-testid='jgw-reset']").click()
    page.wait_for_timeout(300)
    bar.locator("[data-testid='jgw-play']").click()
    page.wait_for_timeout(300)
    first = int(bar.get_attribute("data-frames-drawn"))
    start = time.perf_counter()
    with count_kernel_frames(page, settle_ms=0) as frames:
        page.wait_for_timeout(3000)
        drawn = int(bar.get_attribute("data-frames-drawn"))
    seconds = time.perf_counter() - start
    return (drawn - first) / seconds, frames.total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=25)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jgw-latency-"))
    env = isolated_jupyter_env(work / "home")
    notebooks = work / "notebooks"
    notebooks.mkdir()
    server = start_jupyter_lab(notebooks, work / "logs", env)
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            attach_kernel_socket_monitor(page)

            one, one_bytes, one_player = widget_case(
                page, server, notebooks, "one", "[(0.1, 0.1)]", 300, args.trials
            )
            many_starts = "rng.uniform(-1.9, 1.9, (16, 2))"
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            attach_kernel_socket_monitor(page)
            many, many_bytes, many_player = widget_case(
                page, server, notebooks, "many", many_starts, 1000, args.trials
            )
            fps, playback_frames = playback(page)

            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            attach_kernel_socket_monitor(page)
            path = write_notebook(notebooks, "reference", [MATPLOTLIB_CELL])
            open_lab_notebook(page, server, path.name)
            run_all_cells_lab(page)
            page.locator(IMAGE_SELECTOR).first.wait_for()
            handle = ".widget-slider .noUi-handle"
            reference = measure(page, handle, IMAGE_SELECTOR, "src", args.trials)
            page.locator(handle).first.focus()
            with count_kernel_frames(page, settle_ms=600) as frames:
                page.keyboard.press("ArrowRight")
            reference_bytes = frames.received_bytes
            browser.close()
    finally:
        server.stop()

    # The float32 arrays of one update: x, y, arrow tip x, arrow tip y, loss per start.
    raw_one = 4 * 301 * 5 * 1
    raw_many = 4 * 1001 * 5 * 16
    rows = [
        ("GradDescentWidget 1 start x 300 steps", one, one_bytes, one_player, raw_one),
        ("GradDescentWidget 16 starts x 1000 steps", many, many_bytes, many_player, raw_many),
        ("interact + matplotlib (reference), 1 x 300", reference, reference_bytes, None, None),
    ]
    print(f"\nslider key press -> changed figure in the DOM, {args.trials} trials each "
          "(JupyterLab, headless Chromium)")  # fmt: skip
    print(f"{'case':44} {'median':>9} {'p90':>9} {'all frames':>11} {'Player msg':>11} "
          f"{'raw float32':>12}")  # fmt: skip
    for label, times, got, player, raw in rows:
        p90 = statistics.quantiles(times, n=10)[-1]
        raw_text = f"{raw:,}" if raw else "-"
        player_text = f"{player:,}" if player else "-"
        print(f"{label:44} {statistics.median(times):6.1f} ms {p90:6.1f} ms {got:11,} "
              f"{player_text:>11} {raw_text:>12}")  # fmt: skip
    ref = statistics.median(reference)
    print(f"\nspeed-up over the matplotlib reference: 1 start {ref / statistics.median(one):.1f}x, "
          f"16 starts {ref / statistics.median(many):.1f}x")  # fmt: skip
    print(f"playback of 16 x 1000: {fps:.1f} frames/s, {playback_frames} kernel websocket frames "
          "in 3 s of playback")  # fmt: skip
    print(
        "targets: <= 20 ms (1 start), <= 40 ms (16 starts), >= 6x the reference, "
        ">= 55 frames/s with 0 kernel messages, payload within 1 KB of raw float32"
    )


if __name__ == "__main__":
    main()
