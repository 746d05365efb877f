"""Long-session benchmark: memory and compile caches over a long classroom session.

Run: ``.venv/bin/python benchmarks/long_session.py`` (``--help`` for the counts).
Prints; asserts nothing. About two minutes.

The issue's target: 2,000 slider updates and 200 widget creations in one kernel grow
memory by less than 50 MB, and the compile caches stay bounded.

Phases, each followed by ``gc.collect()`` and a measurement:

1. one GradDescentWidget (goldfield), warmed up with a few slider moves;
2. 2,000 learning-rate slider updates delivered as the comm does
   (``slider.set_state({"value": ...})``), some of them diverging (which also runs
   the learning-rate advice);
3. 200 widgets created (GradDescentWidget of goldfield and of polynomial,
   DerivativeWidget of polynomial, in turn) the way re-running a notebook cell makes
   them: the reference is dropped, nothing is closed, so ipywidgets keeps every one
   alive. Measured every 50, to tell growth that goes on (a leak: MB per widget stays
   the same) from growth that levels off (caches and the allocator filling up);
4. those 200 widgets closed (``Widget.close()`` on each, and on every widget they
   hold), which is what lets ipywidgets forget them; then counts how many of them,
   and how many of their sub-widgets, are still alive or still registered;
5. 200 widgets more, each closed at once (a notebook that closes its old output),
   measured every 50 as in phase 3;
6. 500 drags of one DerivativeWidget's marker.

Each measurement reads the resident set size (RSS) twice: as it is ("RSS"), then
after glibc's ``malloc_trim(0)`` ("in use"), which hands back the memory that was
freed but that the allocator kept (compiling frees a lot, in many small pieces). The
first is what the operating system sees; the second is what the process still uses.
So every phase starts from a trimmed heap and its growth is counted from there. With
``--no-trim`` nothing is trimmed until the very end: RSS as a kernel that never trims
would see it (glibc does trim the top of its main heap by itself, not its other
arenas).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import statistics
import sys
import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets
import numpy as np

from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.engine import Objective
from jaxgrad_widgets.functions import goldfield, polynomial

TARGET_MB = 50.0
KINDS = ("GradDescentWidget(goldfield)", "GradDescentWidget(polynomial)", "DerivativeWidget")


def rss_mb() -> float:
    """Resident set size of this process in MB."""
    try:
        import psutil

        return psutil.Process(os.getpid()).memory_info().rss / 2**20
    except ImportError:  # pragma: no cover - psutil is a dev dependency
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _load_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: the trimmed column repeats the raw one
        return None


_MALLOC_TRIM = _load_trim()


def trimmed_rss_mb() -> float:
    """RSS after handing freed memory back to the system (glibc only)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
    return rss_mb()


def widget_registry() -> dict[str, ipywidgets.Widget]:
    """Every widget ipywidgets keeps: each one from its creation until it is closed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Widget.widgets, still the way
        return ipywidgets.Widget.widgets


def _jit_entries(owner: object, seen: set[int]) -> int:
    """Compiled entries of the jitted functions an engine object holds, following the
    engine objects and dicts it holds (Descents, evaluator caches), whatever they are
    called, so that renaming an attribute does not silently drop it from the count."""
    if id(owner) in seen:
        return 0
    seen.add(id(owner))
    values = owner.values() if isinstance(owner, dict) else vars(owner).values()
    total = 0
    for value in values:
        size = getattr(value, "_cache_size", None)
        ours = type(value).__module__.startswith("jaxgrad_widgets") and hasattr(value, "__dict__")
        if callable(size):
            total += size()
        elif isinstance(value, dict) or ours:
            total += _jit_entries(value, seen)
    return total


def engine_caches() -> dict[str, int]:
    """Live objectives and the compiled entries they own (kernels live on objectives)."""
    objectives = [o for o in gc.get_objects() if isinstance(o, Objective)]
    seen: set[int] = set()
    caches = {
        "live objectives": len(objectives),
        "Descents (objective x optimizer)": sum(
            len(o.__dict__.get("_descents", {})) for o in objectives
        ),
        "compiled entries on objectives": sum(_jit_entries(o, seen) for o in objectives),
    }
    try:  # shared objectives (widgets of one function share one), where the engine has them
        from jaxgrad_widgets.engine.shared import shared_objectives
    except ImportError:
        pass
    else:
        caches["shared objectives"] = shared_objectives()
    return caches


def jax_caches() -> dict[str, int]:
    """Sizes of JAX's own tracing, lowering and compilation caches (private; may vanish)."""
    sizes: dict[str, int] = {}
    try:
        from jax._src import pjit, util
        from jax._src.interpreters import pxla
    except ImportError:  # pragma: no cover
        return sizes
    for module, name in (
        (pjit, "_infer_params_cached"),
        (pxla, "_cached_lowering_to_hlo"),
        (pxla, "_cached_compilation"),
    ):
        info = getattr(getattr(module, name, None), "cache_info", None)
        if callable(info):
            result = info()
            sizes[f"jax {name} (max {result.maxsize})"] = int(result.currsize)
    total = 0
    for cache in list(getattr(util, "_caches", ())):  # every jax util.cache / weakref cache
        info = getattr(cache, "cache_info", None)
        total += int(info().currsize) if callable(info) else 0
    sizes["jax: all its Python-side caches"] = total
    for name in ("_cpp_pjit_cache_fun_only", "_cpp_pjit_cache_explicit_attributes"):
        cache = getattr(pjit, name, None)
        if cache is not None and callable(getattr(cache, "size", None)):
            sizes[f"jax {name} (C++)"] = int(cache.size())
    return sizes


@dataclass
class Row:
    label: str
    rss: float
    trimmed: float
    registered: int
    caches: dict[str, int] = field(default_factory=dict)


class Report:
    def __init__(self, trim: bool) -> None:
        self.trim = trim
        self.rows: list[Row] = []

    def measure(self, label: str, trim: bool | None = None) -> Row:
        gc.collect()
        rss = rss_mb()
        trimmed = trimmed_rss_mb() if (self.trim if trim is None else trim) else rss
        row = Row(label, rss, trimmed, len(widget_registry()))
        row.caches = {**engine_caches(), **jax_caches()}
        self.rows.append(row)
        print(
            f"{label:<48} RSS {row.rss:7.1f} MB, in use {row.trimmed:7.1f} MB"
            f"   registered widgets {row.registered:6d}",
            flush=True,
        )
        return row

    def print_caches(self, rows: list[Row]) -> None:
        names: list[str] = []
        for row in rows:
            names += [n for n in row.caches if n not in names]
        print("\ncache entries at the end of each phase:")
        print(f"  {'':<52}" + "".join(f"{i + 1:>8}" for i in range(len(rows))))
        for name in names:
            print(f"  {name:<52}" + "".join(f"{r.caches.get(name, 0):>8}" for r in rows))
        for i, row in enumerate(rows):
            print(f"  {i + 1}: {row.label}")


def build(i: int) -> ipywidgets.Widget:
    kind = i % len(KINDS)
    if kind == 0:
        return GradDescentWidget(goldfield, steps=100)
    if kind == 1:
        return GradDescentWidget(polynomial, steps=100)
    return DerivativeWidget(polynomial, order=2)


def slope(first: Row, last: Row, widgets: int) -> str:
    """kB per widget between two checkpoints. Both RSS carry about the same untrimmed
    remainder, so RSS is compared with RSS here, not with the trimmed heap."""
    return (
        f"RSS {(last.rss - first.rss) / widgets * 1e3:+5.0f} kB/widget, "
        f"in use {(last.trimmed - first.trimmed) / widgets * 1e3:+5.0f} kB/widget"
    )


def create_widgets(
    report: Report, count: int, close_each: bool, label: str
) -> tuple[list[tuple[str, weakref.ref]], list[Row]]:
    """Create ``count`` widgets, dropping (or closing) each at once; measure every quarter."""
    every = max(count // 4, 1)
    refs: list[tuple[str, weakref.ref]] = []
    checkpoints: list[Row] = []
    began = time.perf_counter()
    for i in range(count):
        widget = build(i)
        refs.append((KINDS[i % len(KINDS)], weakref.ref(widget)))
        if close_each:
            widget.close()
        del widget  # no reference of ours may outlive its turn
        if (i + 1) % every == 0 or i + 1 == count:
            checkpoints.append(report.measure(f"   {label}: {i + 1}"))
    elapsed = time.perf_counter() - began
    print(f"   {elapsed:.1f} s to create them ({elapsed / count * 1e3:.0f} ms each)")
    if len(checkpoints) >= 3:
        half = len(checkpoints) // 2
        span = count - (half * every)
        print(f"   over the last {span}: {slope(checkpoints[half - 1], checkpoints[-1], span)}")
    return refs, checkpoints


def close_registered_since(before_ids: set[str]) -> None:
    """Close every widget registered since ``before_ids`` was taken.

    A function of its own so that no variable of ours (a loop variable, say) still
    holds one of them, and what it holds, when we count the survivors.
    """
    for model in [m for k, m in list(widget_registry().items()) if k not in before_ids]:
        model.close()


def still_alive(refs: list[tuple[str, weakref.ref]]) -> str:
    alive = dict.fromkeys(KINDS, 0)
    for kind, ref in refs:
        alive[kind] += ref() is not None
    return ", ".join(f"{kind} {n}" for kind, n in alive.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2_000, help="slider updates (phase 2)")
    parser.add_argument("--widgets", type=int, default=200, help="widgets (phases 3 and 5)")
    parser.add_argument("--drags", type=int, default=500, help="marker drags (phase 6)")
    parser.add_argument(
        "--no-trim", action="store_true", help="malloc_trim only at the end, not at each step"
    )
    args = parser.parse_args(argv)
    report = Report(trim=not args.no_trim)
    print(
        f"python {sys.version.split()[0]}, pid {os.getpid()}, "
        f"MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', 'unset')}, "
        f"malloc_trim {'available' if _MALLOC_TRIM else 'unavailable'}\n"
    )
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)])
    slider = w.controls.sliders["learning_rate"]
    for value in (0.02, 0.5, 0.03):  # warm up: compile, and the divergence advice
        slider.set_state({"value": value})
    d = DerivativeWidget(polynomial, order=2)  # warm up the other kind too
    start = report.measure("1. one widget of each kind, warmed up")
    ends = [start]

    rng = np.random.default_rng(0)
    exponents = np.round(rng.uniform(-4.0, 0.0, args.updates), 2)  # slider grid; some diverge
    times = []
    diverged = 0
    for exponent in exponents:
        began = time.perf_counter()
        slider.set_state({"value": float(10**exponent)})
        times.append(time.perf_counter() - began)
        diverged += w.status[0]["state"] == "diverged"
    after_updates = report.measure(f"2. after {args.updates:,} learning-rate updates")
    ends.append(after_updates)
    print(
        f"   per update: median {statistics.median(times) * 1e3:.2f} ms, "
        f"95th percentile {np.percentile(times, 95) * 1e3:.2f} ms; {diverged} diverged"
    )

    print(f"3. creating {args.widgets} widgets, none closed (a cell re-run without close):")
    before_ids = set(widget_registry())
    dropped, live = create_widgets(report, args.widgets, close_each=False, label="created")
    ends.append(live[-1])

    close_registered_since(before_ids)
    after_close = report.measure(f"4. after closing those {args.widgets} widgets")
    ends.append(after_close)
    left = len(set(widget_registry()) - before_ids)
    print(f"   still registered after close(): {left} widgets")
    print(f"   still alive after close(): {still_alive(dropped)}")

    print(f"5. creating {args.widgets} widgets, each closed at once:")
    before_ids = set(widget_registry())
    closed, cycled = create_widgets(report, args.widgets, close_each=True, label="created, closed")
    ends.append(cycled[-1])
    left = len(set(widget_registry()) - before_ids)
    print(f"   still registered: {left} widgets; still alive: {still_alive(closed)}")

    drag_times = []
    for x in np.linspace(-3.0, 3.0, args.drags):
        began = time.perf_counter()
        d.marker._handle_custom_msg({"event": "drag", "index": 0, "point": {"x": float(x)}}, [])
        drag_times.append(time.perf_counter() - began)
    after_drags = report.measure(f"6. after {args.drags} derivative-marker drags")
    ends.append(after_drags)
    print(
        f"   per drag: median {statistics.median(drag_times) * 1e3:.1f} ms, "
        f"95th percentile {np.percentile(drag_times, 95) * 1e3:.1f} ms"
    )

    report.print_caches(ends)

    def growth(label: str, first: Row, last: Row) -> None:
        print(
            f"  {label:<36} RSS {first.trimmed:6.0f} -> {last.rss:6.0f} MB"
            f" ({last.rss - first.trimmed:+7.1f}), in use {first.trimmed:6.0f} -> "
            f"{last.trimmed:6.0f} MB ({last.trimmed - first.trimmed:+7.1f})"
        )

    print("\ngrowth, each from the heap its phase started with (trimmed unless --no-trim):")
    growth(f"{args.updates:,} slider updates", start, after_updates)
    growth(f"{args.widgets} widgets alive at once", after_updates, live[-1])
    growth("... then closed", after_updates, after_close)
    growth(f"{args.widgets} more, each closed at once", after_close, cycled[-1])
    growth(f"{args.drags} derivative drags", cycled[-1], after_drags)
    growth("whole session (phase 1 to 6)", start, after_drags)
    if args.no_trim:
        print("  at last, after malloc_trim(0):")
        growth("whole session (phase 1 to 6)", start, report.measure("   trimmed", trim=True))
    print(f"  target: less than {TARGET_MB:.0f} MB over the session, caches bounded")
    del w, d, slider
    return 0


if __name__ == "__main__":
    sys.exit(main())
