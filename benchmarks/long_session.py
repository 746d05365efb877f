"""Long-session benchmark: memory and compile caches over a long classroom session.

Run: ``.venv/bin/python benchmarks/long_session.py``. Prints; asserts nothing.

Phases, each followed by ``gc.collect()`` and a measurement of the resident set size
(RSS, from psutil or /proc/self/statm), the live ipywidgets, the engine's compile
caches and JAX's own jit caches:

1. one GradDescentWidget (goldfield), warmed up with a few slider moves;
2. 2,000 learning-rate slider updates delivered as the comm does
   (``slider.set_state({"value": ...})``), some of them diverging (which also runs
   the learning-rate advice);
3. 200 more widgets created and discarded (GradDescentWidget of goldfield and of
   polynomial, DerivativeWidget of polynomial, in turn), the way re-running a notebook
   cell discards the previous output: the references are dropped, nothing is closed;
4. the same 200 widgets closed (``Widget.close()`` on each of them and every widget
   they hold), which is what lets ipywidgets forget them; then counts how many of
   them Python still keeps alive;
5. 500 drags of one DerivativeWidget's marker.

The issue's target: less than 50 MB of growth over the session, and bounded caches.
At the end, glibc's ``malloc_trim(0)`` shows how much of the growth is memory still
in use rather than freed memory the allocator kept.
"""

from __future__ import annotations

import ctypes
import gc
import os
import statistics
import sys
import time
import warnings
import weakref

import ipywidgets
import numpy as np

from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.engine import Objective
from jaxgrad_widgets.functions import goldfield, polynomial

UPDATES = 2_000
WIDGETS = 200
DRAGS = 500
TARGET_MB = 50.0


def rss_mb() -> float:
    """Resident set size of this process in MB."""
    try:
        import psutil

        return psutil.Process(os.getpid()).memory_info().rss / 2**20
    except ImportError:  # pragma: no cover - psutil is a dev dependency
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def live_widgets() -> int:
    """Widgets ipywidgets keeps (every widget until it is closed)."""
    return len(widget_registry())


def widget_registry() -> dict[str, ipywidgets.Widget]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Widget.widgets, still the way
        return ipywidgets.Widget.widgets


def engine_caches() -> dict[str, int]:
    """Live objectives, their cached Descents and the jit caches they own."""
    objectives = [o for o in gc.get_objects() if isinstance(o, Objective)]
    descents = [d for o in objectives for d in o.__dict__.get("_descents", {}).values()]
    compiled = 0
    for d in descents:
        for fn in (d._paths, d._finals):
            size = getattr(fn, "_cache_size", None)
            compiled += size() if callable(size) else 0
    objective_jits = 0
    for obj in objectives:
        for fn in (obj._compiled_value, obj._compiled_grad, *obj._batched.values()):
            size = getattr(fn, "_cache_size", None)
            objective_jits += size() if callable(size) else 0
    return {
        "live objectives": len(objectives),
        "Descents (objective x optimizer)": len(descents),
        "compiled descent kernels": compiled,
        "compiled objective value/grad/grid": objective_jits,
    }


def jax_caches() -> dict[str, int]:
    """Sizes of JAX's internal tracing/lowering/compilation caches (private; may vanish)."""
    sizes: dict[str, int] = {}
    try:
        from jax._src import pjit
        from jax._src.interpreters import pxla
    except ImportError:  # pragma: no cover
        return sizes
    for module, name in (
        (pjit, "_infer_params_cached"),
        (pjit, "_pjit_lower"),
        (pxla, "_cached_lowering_to_hlo"),
        (pxla, "_cached_compilation"),
    ):
        info = getattr(getattr(module, name, None), "cache_info", None)
        if callable(info):
            result = info()
            sizes[f"jax {name}"] = int(result.currsize)
            sizes[f"jax {name} (max)"] = int(result.maxsize or 0)
    return sizes


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, int, dict[str, int]]] = []

    def measure(self, label: str) -> float:
        gc.collect()
        rss = rss_mb()
        self.rows.append((label, rss, live_widgets(), {**engine_caches(), **jax_caches()}))
        print(f"{label:<52} RSS {rss:8.1f} MB   live widgets {live_widgets():6d}", flush=True)
        return rss

    def print_caches(self) -> None:
        names = list(self.rows[0][3])
        for _, _, _, caches in self.rows[1:]:
            names += [n for n in caches if n not in names]
        print("\ncache entries after each phase:")
        header = "".join(f"{i + 1:>9}" for i in range(len(self.rows)))
        print(f"  {'':<44}{header}")
        for name in names:
            values = "".join(f"{caches.get(name, 0):>9}" for *_, caches in self.rows)
            print(f"  {name:<44}{values}")
        for i, (label, *_rest) in enumerate(self.rows):
            print(f"  {i + 1}: {label}")


def malloc_trim() -> float | None:
    """RSS after asking glibc to return freed memory to the system (None elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return None
    gc.collect()
    return rss_mb()


def type_name(i: int) -> str:
    return ("GradDescentWidget(goldfield)", "GradDescentWidget(polynomial)", "DerivativeWidget")[
        i % 3
    ]


def build(i: int) -> ipywidgets.Widget:
    kind = i % 3
    if kind == 0:
        return GradDescentWidget(goldfield, steps=100)
    if kind == 1:
        return GradDescentWidget(polynomial, steps=100)
    return DerivativeWidget(polynomial, order=2)


def main() -> int:
    report = Report()
    print(f"python {sys.version.split()[0]}, pid {os.getpid()}\n")
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)])
    slider = w.controls.sliders["learning_rate"]
    for value in (0.02, 0.5, 0.03):  # warm up: compile, and the divergence advice
        slider.set_state({"value": value})
    start = report.measure("1. one widget, warmed up")

    rng = np.random.default_rng(0)
    exponents = np.round(rng.uniform(-4.0, 0.0, UPDATES), 2)  # the slider's grid; some diverge
    times = []
    diverged = 0
    for exponent in exponents:
        began = time.perf_counter()
        slider.set_state({"value": float(10**exponent)})
        times.append(time.perf_counter() - began)
        diverged += w.status[0]["state"] == "diverged"
    after_updates = report.measure(f"2. after {UPDATES:,} learning-rate updates")
    print(
        f"   per update: median {statistics.median(times) * 1e3:.2f} ms, "
        f"95th percentile {np.percentile(times, 95) * 1e3:.2f} ms; {diverged} diverged"
    )

    before_ids = set(widget_registry())
    began = time.perf_counter()
    built = []
    for i in range(WIDGETS):
        # The reference is dropped at once, like a re-run cell's old output.
        built.append((type_name(i), weakref.ref(build(i))))
    created = time.perf_counter() - began
    after_widgets = report.measure(f"3. after creating and dropping {WIDGETS} widgets")
    print(f"   {created:.1f} s to create them ({created / WIDGETS * 1e3:.0f} ms each)")

    new = [m for k, m in list(widget_registry().items()) if k not in before_ids]
    for widget in new:
        widget.close()
    del new
    after_close = report.measure(f"4. after closing those {WIDGETS} widgets")
    alive: dict[str, int] = {}
    for name, ref in built:
        alive[name] = alive.get(name, 0) + (ref() is not None)
    print("   still alive after close(): " + ", ".join(f"{n} {k}" for n, k in alive.items()))

    d = DerivativeWidget(polynomial, order=2)
    drag_times = []
    for x in np.linspace(-3.0, 3.0, DRAGS):
        began = time.perf_counter()
        d.marker._handle_custom_msg({"event": "drag", "index": 0, "point": {"x": float(x)}}, [])
        drag_times.append(time.perf_counter() - began)
    after_drags = report.measure(f"5. after {DRAGS} derivative-marker drags")
    print(
        f"   per drag: median {statistics.median(drag_times) * 1e3:.1f} ms, "
        f"95th percentile {np.percentile(drag_times, 95) * 1e3:.1f} ms"
    )

    report.print_caches()
    print("\ngrowth:")
    print(f"  {UPDATES:,} slider updates:          {after_updates - start:+8.1f} MB")
    print(f"  {WIDGETS} widgets created, dropped:   {after_widgets - after_updates:+8.1f} MB")
    print(f"  ... then closed:                  {after_close - after_updates:+8.1f} MB")
    print(f"  {DRAGS} derivative drags:           {after_drags - after_close:+8.1f} MB")
    print(f"  whole session (phase 1 to 5):     {after_drags - start:+8.1f} MB")
    print(f"  target: less than {TARGET_MB:.0f} MB over the session, caches bounded")
    trimmed = malloc_trim()
    if trimmed is not None:
        print(
            f"  after malloc_trim(0) (memory freed but kept by the allocator goes back): "
            f"{trimmed:.1f} MB, {trimmed - start:+.1f} MB over the session"
        )
    del w, d
    return 0


if __name__ == "__main__":
    sys.exit(main())
