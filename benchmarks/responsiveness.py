"""Responsiveness: how long a slow objective blocks a real Jupyter kernel.

Run: ``.venv/bin/python benchmarks/responsiveness.py``. Prints a table; asserts nothing.

A kernel (ipykernel, started with jupyter_client) builds a GradDescentWidget of an
objective whose every gradient takes 50 ms (``slow_bowl`` of tests/python/test_responsive.py)
with 60 steps, about 3 s of descent. While it runs, this process sends tiny execute
requests (``pass``) one after another and times each answer: the longest answer is
the longest the kernel was blocked. Then the same for moving the learning rate (which
supersedes the running descent), and for reading ``w.trajectory`` (which finishes it
at once, blocking on purpose). The widget's own record of its longest kernel call is
printed too.

The issue's target: a slow objective never blocks the kernel for more than about 100 ms.
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time

TESTS = pathlib.Path(__file__).resolve().parents[1] / "tests" / "python"
sys.path.insert(0, str(TESTS))
from kernel_session import run_cell, started_kernel  # noqa: E402


def answers_while(client, condition: str) -> list[float]:
    """Round-trip seconds of `pass` requests sent until `condition` is false in the kernel."""
    times = []
    while True:
        started = time.perf_counter()
        still = run_cell(client, f"print({condition})") == "True"
        times.append(time.perf_counter() - started)
        if not still:
            return times


def report(client, label: str) -> None:
    """Time answers until the running descent ends; print them with the job's chunks."""
    times = answers_while(client, "w.scheduler.job is not None")
    chunks, longest = run_cell(client, "print(len(job.chunks), job.longest_call)").split()
    print(
        f"{label:44} {len(times):>8} {statistics.median(times) * 1e3:>6.1f} ms "
        f"{max(times) * 1e3:>6.1f} ms {chunks:>7} {float(longest) * 1e3:>10.1f} ms"
    )


def main() -> None:
    with started_kernel() as client:
        run_cell(client, f"import sys; sys.path.insert(0, {str(TESTS)!r})")
        run_cell(client, "from test_responsive import _widget, DELAY")
        quiet = []
        for _ in range(20):
            t = time.perf_counter()
            run_cell(client, "pass")
            quiet.append(time.perf_counter() - t)
        idle = statistics.median(quiet) * 1e3
        print(f"idle kernel, round trip of an empty request: median {idle:.1f} ms")
        print()
        print(f"{'while':44} {'requests':>8} {'median':>9} {'longest':>9} {'chunks':>7} "
              f"{'longest call':>13}")  # fmt: skip
        started = time.perf_counter()
        run_cell(client, "w = _widget(steps=60); job = w.scheduler.job")
        built = time.perf_counter() - started
        report(client, "a 60-step descent at 50 ms per gradient")
        run_cell(client, "w.learning_rate = 0.2; job = w.scheduler.job")
        report(client, "the same after a learning-rate change")
        run_cell(client, "w.learning_rate = 0.1")
        started = time.perf_counter()
        run_cell(client, "w.trajectory")
        drained = time.perf_counter() - started
        print()
        print(f"building the widget (compiles, draws the map, starts the descent): {built:.2f} s")
        print(f"reading w.trajectory mid-descent (finishes it, on purpose):       {drained:.2f} s")
        print()
        print("target: a slow objective never blocks the kernel for more than about 100 ms")


if __name__ == "__main__":
    main()
