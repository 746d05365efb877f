"""Browser benchmark: a learning-rate change -> the dashboard's basins layer redrawn.

Run: ``.venv/bin/python benchmarks/families_browser.py [--trials N]`` (needs Debian's
chromium at /usr/bin/chromium; about a minute plus N x the basin computation). Starts a
Voilà server on a one-cell notebook::

    w = GradDescentWidget(goldfield, learning_rate=0.02, steps=500)
    w.show_basins = True

opens it in headless Chromium and waits for the first basins picture (a 256 x 256 grid
of 500-step runs, painted by the browser from one byte per grid point). Then, per
trial, two learning-rate changes:

* ``typed``: a value typed into the learning-rate box beside the slider, then Enter
  (cycling through 0.03, 0.05, 0.04, 0.02, so each differs from the rate before);
* ``slider``: one ArrowRight press on the focused learning-rate slider handle.

Measured for each: the time from the key's ``keydown`` (``performance.now()`` in the
page, stamped by a capturing listener for that key) to the moment the basins
``<image>`` (the map's ``<image>`` that is not the ``.heatmap``) gets a new PNG data URL
``href`` (``performance.now()`` in a MutationObserver installed before the key press);
and the bytes the page received on the kernel websocket for the update, from just
before the key press until the kernel went quiet after the redraw (decoded by
``latency_support.WireLog``): the frame carrying the Player's ``raster_codes`` (65,536
bytes for 256 x 256) with its ``raster_palette``, and all received frames (these also
hold the new path, the learning-rate family, status updates...). Bytes per grid
point are bytes / 65,536.

Prints median, p90 and max of the latency per action, the bytes, and the targets:
at most 300 ms, and at most 1 byte per grid point plus the palette. Asserts nothing.
:func:`basins_latency` returns the same numbers as a dict.
"""

from __future__ import annotations

import argparse
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))  # latency_support, also when imported

from latency_support import Message, WireLog, _parts  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.notebooks import write_notebook  # noqa: E402
from tests.e2e.pages import (  # noqa: E402
    KERNEL_SOCKET,
    attach_kernel_socket_monitor,
    count_kernel_frames,
    open_voila,
)
from tests.e2e.servers import isolated_jupyter_env, start_voila  # noqa: E402
from tests.e2e.test_dashboard import ROOT, wait_for_dashboard  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

CELL = """\
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
w = GradDescentWidget(goldfield, learning_rate=0.02, steps=500)
w.show_basins = True
w"""

#: The basins grid (BASINS_RESOLUTION x BASINS_RESOLUTION): one byte per point.
GRID_POINTS = 256 * 256
#: The typed learning rates, in turn (the first differs from the cell's 0.02).
TYPED_RATES = ("0.03", "0.05", "0.04", "0.02")
TARGET_MS = 300.0
#: How long one update may take before the trial is given up.
TIMEOUT_MS = 120_000

ENTRY = f"{ROOT} .jgw-controls .jgw-entry input"
SLIDER = f"{ROOT} .jgw-controls .widget-slider"

# The basins picture: the map's <image> that is not the heatmap, once painted.
_PICTURE_JS = """(root) => {
  const map = document.querySelector(root).querySelector('.jgw-map');
  const image = map && map.querySelector('image:not(.heatmap)');
  const href = image ? (image.getAttribute('href') || image.getAttribute('xlink:href')
                        || '') : '';
  return href.startsWith('data:image/png') ? href : null;
}"""

# Stamps the keydown of `key` and the first change of the basins picture's href after it.
_ARM_JS = f"""([root, key]) => {{
  const picture = {_PICTURE_JS};
  const lat = {{down: null, changed: null, before: picture(root)}};
  window.__basins = lat;
  const onKey = (e) => {{
    if (e.key === key && lat.down === null) {{
      lat.down = performance.now();
      document.removeEventListener('keydown', onKey, true);
    }}
  }};
  document.addEventListener('keydown', onKey, true);
  const map = document.querySelector(root).querySelector('.jgw-map');
  const obs = new MutationObserver(() => {{
    const now = picture(root);
    if (lat.down !== null && now !== null && now !== lat.before) {{
      lat.changed = performance.now();
      obs.disconnect();
    }}
  }});
  obs.observe(map, {{subtree: true, attributes: true, childList: true}});
}}"""


def _percentile90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _raster(message: Message) -> bool:
    return message.direction == "received" and "raster_codes" in message.buffers


class _RawFrames:
    """The binary frames a page receives on kernel websockets while ``capturing``."""

    def __init__(self, page) -> None:
        self.frames: list[bytes] = []
        self.capturing = True
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        if KERNEL_SOCKET.search(ws.url):
            ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if self.capturing and isinstance(payload, bytes):
            self.frames.append(payload)


def _initial_raster(frames: list[bytes]) -> tuple[int, int, int]:
    """(frame bytes, code bytes, palette bytes) of the first raster the page got. In
    Voilà it comes in the widget manager's ``update_states`` reply (every model's state
    in one message), which WireLog does not split up, so its buffer paths are read here;
    a raster in a plain state update counts as well."""
    for frame in frames:
        try:
            parts = _parts(frame)
        except (ValueError, struct.error, UnicodeDecodeError):
            continue
        data = parts[1].get("data") if parts and isinstance(parts[1], dict) else None
        if not isinstance(data, dict):
            continue
        sizes = {
            str(path[-1]): len(buffer)
            for path, buffer in zip(data.get("buffer_paths") or [], parts[2], strict=False)
            if path
        }
        if sizes.get("raster_codes"):
            return len(frame), sizes["raster_codes"], sizes.get("raster_palette", 0)
    return 0, 0, 0


def _focus_slider(page) -> None:
    slider = page.locator(SLIDER, has_text="learning rate").first
    slider.locator(".noUi-handle").focus()


def _type_rate(page, value: str) -> None:
    """Type ``value`` into the learning-rate box (as tests' set_learning_rate), all but
    the Enter, which is the measured key press."""
    page.locator(ENTRY).first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def _trial(page, wire: WireLog, action: str, index: int) -> dict:
    """One learning-rate change by ``action``; its latency and the bytes received."""
    key = "Enter" if action == "typed" else "ArrowRight"
    if action == "typed":
        _type_rate(page, TYPED_RATES[index % len(TYPED_RATES)])
    else:
        _focus_slider(page)
    page.evaluate(_ARM_JS, [ROOT, key])
    start = time.monotonic()
    with count_kernel_frames(page, settle_ms=0) as frames:
        page.keyboard.press(key)
        page.wait_for_function("() => window.__basins.changed !== null", timeout=TIMEOUT_MS)
        lat = page.evaluate("() => window.__basins")
        # The rest of the update's frames (and no second raster still on its way).
        frames.wait_until_quiet(quiet_ms=500, timeout_ms=TIMEOUT_MS)
    received = [m for m in wire.since(start) if m.direction == "received"]
    rasters = [m for m in received if _raster(m)]
    raster = max(rasters, key=lambda m: m.size, default=None)
    return {
        "ms": lat["changed"] - lat["down"],
        "rasters": len(rasters),
        "raster_frame": raster.size if raster else 0,
        "codes": raster.buffers.get("raster_codes", 0) if raster else 0,
        "palette": raster.buffers.get("raster_palette", 0) if raster else 0,
        # When Playwright saw the raster frame (after the key press, Python's clock), and
        # whether the learning-rate family's message came before it.
        "raster_at_ms": 1000 * (raster.time - start) if raster else float("nan"),
        "family_first": bool(raster) and any(m.family and m.time < raster.time for m in received),
        "all": sum(m.size for m in received),
        "kinds": {
            "raster": sum(m.size for m in rasters),
            "family": sum(m.size for m in received if m.family),
            "run": sum(m.size for m in received if m.run),
            "other": sum(m.size for m in received if not (_raster(m) or m.family or m.run)),
        },
        "frames": len(received),
    }


def _summary(trials: list[dict]) -> dict:
    times = [t["ms"] for t in trials]
    raster = max(t["raster_frame"] for t in trials)
    palette = max(t["palette"] for t in trials)
    total = statistics.median(t["all"] for t in trials)
    return {
        "times_ms": times,
        "median_ms": statistics.median(times),
        "p90_ms": _percentile90(times),
        "max_ms": max(times),
        "raster_messages": [t["rasters"] for t in trials],
        "raster_at_ms": [t["raster_at_ms"] for t in trials],
        "family_first": [t["family_first"] for t in trials],
        "raster_frame_bytes": raster,
        "codes_bytes": max(t["codes"] for t in trials),
        "palette_bytes": palette,
        "raster_header_bytes": raster - max(t["codes"] for t in trials) - palette,
        "raster_bytes_per_point": raster / GRID_POINTS,
        "all_bytes_median": total,
        "all_bytes_max": max(t["all"] for t in trials),
        "all_bytes_per_point": total / GRID_POINTS,
        "frames_median": statistics.median(t["frames"] for t in trials),
        "all_bytes_by_kind_median": {
            kind: statistics.median(t["kinds"][kind] for t in trials) for kind in trials[0]["kinds"]
        },
    }


def basins_latency(trials: int = 10) -> dict:
    """Latency (ms) and bytes of the basins layer's redraw after a learning-rate change,
    per action (``"typed"``, ``"slider"``), in Voilà in headless Chromium.

    Returns ``{"typed": {...}, "slider": {...}, "trials": ..., "first_ms": ...,
    "first_raster_frame_bytes": ..., "first_codes_bytes": ..., "first_palette_bytes":
    ...}`` (``first_*``: the first picture, which comes with every widget's state).
    Each action's dict holds ``times_ms``, ``median_ms``, ``p90_ms``, ``max_ms``;
    per trial ``raster_messages``, ``raster_at_ms`` (key press -> raster frame seen by
    Playwright, Python's clock) and ``family_first``; ``raster_frame_bytes`` (largest
    frame carrying ``raster_codes``), ``codes_bytes``, ``palette_bytes`` (0: not
    re-sent), ``raster_header_bytes``, ``raster_bytes_per_point``,
    ``all_bytes_median`` / ``all_bytes_max`` (every received frame of an update),
    ``all_bytes_per_point``, ``all_bytes_by_kind_median`` (raster, family, run,
    other) and ``frames_median``.
    """
    work = Path(tempfile.mkdtemp(prefix="jgw-families-browser-"))
    env = isolated_jupyter_env(work / "home")
    notebook = write_notebook(work / "notebooks", "basins", [CELL])
    results: dict[str, list[dict]] = {"typed": [], "slider": []}
    server = start_voila(notebook, work / "logs", env)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            attach_kernel_socket_monitor(page)
            wire = WireLog(page)
            raw = _RawFrames(page)
            opened = time.monotonic()
            open_voila(page, server.url)
            wait_for_dashboard(page)
            page.wait_for_function(f"() => ({_PICTURE_JS})('{ROOT}') !== null",
                                   timeout=TIMEOUT_MS)  # fmt: skip
            first_ms = 1000 * (time.monotonic() - opened)
            with count_kernel_frames(page, settle_ms=0) as frames:
                frames.wait_until_quiet(quiet_ms=1000, timeout_ms=TIMEOUT_MS)
            raw.capturing = False
            first = _initial_raster(raw.frames)
            # Warm up (not counted): one change of each kind.
            _trial(page, wire, "typed", 0)
            _trial(page, wire, "slider", 0)
            for i in range(trials):
                results["typed"].append(_trial(page, wire, "typed", i + 1))
                results["slider"].append(_trial(page, wire, "slider", i + 1))
            browser.close()
    finally:
        server.stop()
    out = {action: _summary(rows) for action, rows in results.items()}
    out["first_ms"] = first_ms
    # The first picture's frame: the palette goes with it (later, only when it changes).
    out["first_raster_frame_bytes"], out["first_codes_bytes"], out["first_palette_bytes"] = first
    out["trials"] = trials
    return out


def report(result: dict) -> None:
    labels = {"typed": "typed value + Enter", "slider": "slider ArrowRight"}
    print(f"\nlearning-rate change -> basins <image> href changed, Voilà, headless Chromium; "
          f"goldfield, 256 x 256 grid, 500 steps; {result['trials']} trials each "
          f"(first picture {result['first_ms'] / 1000:.1f} s after opening)")  # fmt: skip
    print(f"{'action':22} {'median':>9} {'p90':>9} {'max':>9} {'rasters':>8} "
          f"{'raster frame':>13} {'codes':>7} {'palette':>7} {'B/point':>8} "
          f"{'all frames':>11} {'B/point':>8}")  # fmt: skip
    for action, label in labels.items():
        r = result[action]
        counts = sorted(set(r["raster_messages"]))
        rasters = "/".join(str(c) for c in counts)
        print(
            f"{label:22} {r['median_ms']:6.0f} ms {r['p90_ms']:6.0f} ms {r['max_ms']:6.0f} ms "
            f"{rasters:>8} {r['raster_frame_bytes']:>13,} {r['codes_bytes']:>7,} "
            f"{r['palette_bytes']:>7,} {r['raster_bytes_per_point']:>8.3f} "
            f"{r['all_bytes_median']:>11,.0f} {r['all_bytes_per_point']:>8.3f}"
        )
    print("(rasters: frames carrying raster_codes per update; raster frame: its size on the "
          "wire, of it codes and palette buffers; all frames: median over updates of every "
          "kernel frame received from the key press until the kernel was quiet; B/point: "
          "bytes / 65,536)")  # fmt: skip
    print(f"first picture: in a frame of {result['first_raster_frame_bytes']:,} bytes (all "
          f"widget states), {result['first_codes_bytes']:,} code bytes and "
          f"{result['first_palette_bytes']:,} palette bytes; a later update re-sends the "
          f"palette only when it changed")  # fmt: skip
    for action, label in labels.items():
        r = result[action]
        at = ", ".join(f"{t:.0f}" for t in r["raster_at_ms"])
        print(f"key press -> raster frame seen by Playwright, {label} (ms): {at}; family's "
              f"message before the raster in {sum(r['family_first'])} of "
              f"{len(r['family_first'])} updates")  # fmt: skip
    for action, label in labels.items():
        kinds = result[action]["all_bytes_by_kind_median"]
        print(f"all frames of an update, {label} (medians): "
              + ", ".join(f"{kind} {size:,.0f}" for kind, size in kinds.items()))  # fmt: skip
    print(f"per-trial ms, typed: {', '.join(f'{t:.0f}' for t in result['typed']['times_ms'])}")
    print(f"per-trial ms, slider: {', '.join(f'{t:.0f}' for t in result['slider']['times_ms'])}")
    for action, label in labels.items():
        r = result[action]
        fast = r["median_ms"] <= TARGET_MS and r["p90_ms"] <= TARGET_MS
        palette = max(r["palette_bytes"], result["first_palette_bytes"])
        lean = 0 < r["codes_bytes"] <= GRID_POINTS and r["palette_bytes"] <= palette
        print(
            f"target, {label}: latency at most {TARGET_MS:.0f} ms (median and p90): "
            f"{'met' if fast else 'NOT met'}; at most 1 byte per grid point plus the palette "
            f"({GRID_POINTS:,} + {palette:,} bytes of raster payload): "
            f"{'met' if lean else 'NOT met'} ({r['codes_bytes']:,} code bytes + "
            f"{r['palette_bytes']:,} palette bytes, plus {r['raster_header_bytes']:,} bytes "
            f"of message header)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args(argv)
    report(basins_latency(args.trials))


if __name__ == "__main__":
    main()
