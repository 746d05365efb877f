"""Dead-kernel benchmark: how long after its kernel dies a dashboard says so.

Run: ``.venv/bin/python benchmarks/dead_kernel.py [--repeats 5]``. Prints a table;
asserts nothing.

A Voilà page of ``examples/dashboard.ipynb`` in Chromium (headless, Debian's); its
kernel is killed (SIGKILL, as a crash or the out-of-memory killer would) and the time
until the notice covers the dashboards is taken, ``--repeats`` times, for the server as
``jaxgrad-widgets serve`` runs it (it checks its kernels every second) and for Voilà's
defaults (every three seconds). The target: within 2 s.
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

from tests.e2e.pages import open_voila  # noqa: E402
from tests.e2e.servers import isolated_jupyter_env, start_served, start_voila  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
NOTEBOOK = REPO / "examples" / "dashboard.ipynb"


def time_to_notice(page, server) -> float:
    """Open the dashboard, kill its kernel, and time the notice."""
    open_voila(page, server.url)
    drawn = page.locator(".jgw-grad-descent .jgw-map path.line").first
    drawn.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(1000)
    killed = time.perf_counter()
    server.kill_kernels()
    page.locator("[data-testid='jgw-lost']").first.wait_for(state="visible", timeout=30_000)
    return time.perf_counter() - killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jgw-dead-"))
    env = isolated_jupyter_env(work / "home")
    rows = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for kind in ("served", "default"):
            times = []
            for _ in range(args.repeats):
                if kind == "served":
                    server = start_served(NOTEBOOK, work / "logs", env, students=1,
                                          cache_dir=work / "cache")  # fmt: skip
                else:
                    server = start_voila(NOTEBOOK, work / "logs", env)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    times.append(time_to_notice(page, server))
                    page.close()
                finally:
                    server.stop()
            rows[kind] = times
        browser.close()
    print("kernel killed -> notice on the page    median     max   (target: 2 s)")
    for kind, times in rows.items():
        label = "jaxgrad-widgets serve" if kind == "served" else "Voilà's defaults"
        print(f"  {label:34s} {statistics.median(times):6.2f} s {max(times):6.2f} s"
              f"   ({len(times)} kills)")  # fmt: skip


if __name__ == "__main__":
    main()
