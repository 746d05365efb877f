"""A workshop session in a real kernel: a dashboard cell re-run 200 times, 2,000 slider moves.

Run: ``.venv/bin/python benchmarks/rerun_cells.py`` (``--runs N``). Prints; asserts nothing.

An ipykernel is started with jupyter_client and sent requests the way JupyterLab sends
them, with the cell's id in the metadata. The kernel's resident memory (VmRSS from
/proc) is read after glibc's ``malloc_trim(0)``, which returns memory that was freed
but kept by the allocator, so what remains is what the kernel still uses:

1. the dashboard cell ``w = GradDescentWidget(goldfield)`` run once (warm-up);
2. 2,000 learning-rate slider moves delivered as the comm delivers them;
3. the same cell re-run ``--runs`` times (a re-run closes the dashboard the cell's
   earlier run made, see jaxgrad_widgets/widgets/lifecycle.py), every 50 runs measured;
4. for reference, 50 runs of the cell from requests without a cell id (nothing closed).

The issue's target: 2,000 slider updates and 200 widget creations in one kernel grow
memory by less than 50 MB.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "python"))
from kernel_session import run_cell, started_kernel

SETUP = """
import ctypes, numpy as np
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
_libc = ctypes.CDLL("libc.so.6")

def _in_use_mb():
    _libc.malloc_trim(0)
    with open("/proc/self/status") as status:
        line = next(l for l in status if l.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024
"""
DASHBOARD = "w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.5, 1.5)])"
SLIDER_MOVES = """
slider = w.controls.sliders["learning_rate"]
for rate in np.geomspace(0.001, 0.6, 2000):
    slider.set_state({"value": float(rate)})
"""


def in_use(client) -> float:
    return float(run_cell(client, "print(_in_use_mb())"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="re-runs of the dashboard cell")
    runs = parser.parse_args().runs
    with started_kernel() as client:
        run_cell(client, SETUP)
        run_cell(client, DASHBOARD, "dashboard-cell")
        start = in_use(client)
        print(f"kernel after the first dashboard:            {start:8.1f} MB in use")

        run_cell(client, SLIDER_MOVES)
        after_moves = in_use(client)
        print(f"after 2,000 slider moves:                    {after_moves:8.1f} MB "
              f"({after_moves - start:+.1f} MB)")  # fmt: skip

        began, previous, done = time.perf_counter(), after_moves, 0
        print(f"re-running the dashboard cell {runs} times (each closes the last one's):")
        while done < runs:
            batch = min(50, runs - done)
            for _ in range(batch):
                run_cell(client, DASHBOARD, "dashboard-cell")
            done += batch
            now = in_use(client)
            print(f"  {done:4d} runs: {now:8.1f} MB ({now - start:+.1f} MB since the first "
                  f"dashboard, {(now - previous) * 1024 / batch:+.0f} kB per run over the last "
                  f"{batch})")  # fmt: skip
            previous = now
        seconds = (time.perf_counter() - began) / runs
        open_widgets = run_cell(
            client, "import ipywidgets, warnings\nwarnings.simplefilter('ignore')\n"
            "print(len(ipywidgets.Widget.widgets))"
        )  # fmt: skip
        print(f"  {seconds * 1e3:.0f} ms per run; widgets registered at the end: {open_widgets}")
        total = in_use(client) - start
        print(f"whole session (slider moves and {runs} runs): {total:+.1f} MB")

        print("for reference, 50 runs from requests without a cell id (nothing is closed):")
        base = in_use(client)
        for _ in range(50):
            run_cell(client, DASHBOARD)
        print(f"  {in_use(client) - base:+.1f} MB")
        print()
        print("target: 2,000 slider updates and 200 widget creations grow memory by < 50 MB")


if __name__ == "__main__":
    main()
