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
import time

import jupyter_client

TESTS = pathlib.Path(__file__).resolve().parents[1] / "tests" / "python"


def execute(client, code: str, timeout: float = 300.0) -> str:
    msg_id = client.execute(code)
    out = []
    while True:
        message = client.get_iopub_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            out.append(content["text"])
        if kind == "error":
            raise RuntimeError("\n".join(content["traceback"]))
        if kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


def answers_while(client, condition: str) -> list[float]:
    """Round-trip seconds of `pass` requests sent until `condition` is false in the kernel."""
    times = []
    while True:
        started = time.perf_counter()
        still = execute(client, f"print({condition})").strip() == "True"
        times.append(time.perf_counter() - started)
        if not still:
            return times


def main() -> None:
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        execute(client, f"import sys; sys.path.insert(0, {str(TESTS)!r})")
        execute(client, "from test_responsive import _widget, DELAY")
        quiet = []
        for _ in range(20):
            t = time.perf_counter()
            execute(client, "pass")
            quiet.append(time.perf_counter() - t)
        idle = statistics.median(quiet) * 1e3
        print(f"idle kernel, round trip of an empty request: median {idle:.1f} ms")
        print()
        print(f"{'while':44} {'requests':>8} {'median':>9} {'longest':>9} {'chunks':>7} "
              f"{'longest call':>13}")  # fmt: skip
        started = time.perf_counter()
        execute(client, "w = _widget(steps=60); job = w._job")
        built = time.perf_counter() - started
        times = answers_while(client, "w._job is not None")
        stats = execute(client, "print(len(job.chunks), job.longest_call)").split()
        print(
            f"{'a 60-step descent at 50 ms per gradient':44} {len(times):>8} "
            f"{statistics.median(times) * 1e3:>6.1f} ms {max(times) * 1e3:>6.1f} ms "
            f"{stats[0]:>7} {float(stats[1]) * 1e3:>10.1f} ms"
        )
        execute(client, "w.learning_rate = 0.2; job = w._job")
        times = answers_while(client, "w._job is not None")
        stats = execute(client, "print(len(job.chunks), job.longest_call)").split()
        print(
            f"{'the same after a learning-rate change':44} {len(times):>8} "
            f"{statistics.median(times) * 1e3:>6.1f} ms {max(times) * 1e3:>6.1f} ms "
            f"{stats[0]:>7} {float(stats[1]) * 1e3:>10.1f} ms"
        )
        execute(client, "w.learning_rate = 0.1")
        started = time.perf_counter()
        execute(client, "w.trajectory")
        drained = time.perf_counter() - started
        print()
        print(f"building the widget (compiles, draws the map, starts the descent): {built:.2f} s")
        print(f"reading w.trajectory mid-descent (finishes it, on purpose):       {drained:.2f} s")
        print()
        print("target: a slow objective never blocks the kernel for more than about 100 ms")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
