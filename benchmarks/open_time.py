"""Open time: how long a view of a new function takes to build, after JAX has started.

Run: ``.venv/bin/python benchmarks/open_time.py [--profile CASE]``. Prints a table;
asserts nothing.

Every case builds its view from a function this process has not seen before (a fresh
copy of a known function, keeping its teaching defaults, or a new formula), so each
"first open" pays its own tracing and compiling, as a student's new function does; the
"again" column opens the same function a second time (the shared Objective's compiled
kernels are reused). A FormulaBox's apply is shown in its two parts: the planning (in a
kernel, a worker thread, while the previous dashboard keeps answering) and the making
of the widgets (on the kernel's loop). The very first view of the process is reported
on its own line: it pays JAX's own start-up (backend, the first compilations).

The issue's target: any view of a one- or two-parameter jittable function opens in
under 1 s after the first. ``--profile CASE`` prints the cumulative-time profile of that
case's first open (the case's label, e.g. ``--profile "DerivativeWidget sin(3*x) + 0.1*x"``).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
import types
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from jaxgrad_widgets import DerivativeWidget, FormulaBox, GradDescentWidget, parse_formula
from jaxgrad_widgets import functions as known
from jaxgrad_widgets.widgets import formula_box


def fresh(f: Callable[..., Any]) -> Callable[..., Any]:
    """A copy of ``f`` with its teaching defaults: a function no compile cache has seen."""
    copy = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)  # fmt: skip
    copy.__dict__.update(f.__dict__)
    return copy


def wiggle(x):
    """The issue's slow one: many critical points for DerivativeWidget to find."""
    return jnp.sin(3 * x) + 0.1 * x


FORMULAS = (
    "sin(x)*cos(y)+0.1*(x**2+y**2)",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "x**2 + 3*y**2",
    "exp(-(x**2 + y**2)) * -1 + 0.05*x**2",
    "abs(x) + abs(y)",
)


def cases() -> list[tuple[str, Callable[[], Callable[[], Any]]]]:
    """(label, maker): the maker returns a builder of the view of one new function."""
    listed: list[tuple[str, Callable[[], Callable[[], Any]]]] = []
    for name in ("goldfield", "rosenbrock", "himmelblau", "beale", "rastrigin", "polynomial"):
        f = getattr(known, name)
        listed.append(
            (f"GradDescentWidget {name}", lambda f=f: _builder(GradDescentWidget, fresh(f)))
        )
    listed.append(("GradDescentWidget sin(3*x) + 0.1*x",
                   lambda: _builder(GradDescentWidget, fresh(wiggle))))  # fmt: skip
    for text in FORMULAS:
        listed.append((f"GradDescentWidget {text}", lambda t=text: _builder(
            GradDescentWidget, parse_formula(t).function)))  # fmt: skip
    listed.append(("DerivativeWidget polynomial",
                   lambda: _builder(DerivativeWidget, fresh(known.polynomial))))  # fmt: skip
    listed.append(("DerivativeWidget sin(3*x) + 0.1*x",
                   lambda: _builder(DerivativeWidget, fresh(wiggle))))  # fmt: skip
    for text in ("x**4 - 3*x**2 + x", "sin(5*x) * exp(-x**2 / 4)"):
        listed.append((f"DerivativeWidget {text}", lambda t=text: _builder(
            DerivativeWidget, parse_formula(t, ("x",)).function)))  # fmt: skip
    return listed


def _builder(view: type, f: Callable[..., Any]) -> Callable[[], Any]:
    return lambda: view(f)


def box_rows() -> None:
    """A formula applied in a FormulaBox: the planning (in a kernel, a worker thread: the
    previous dashboard keeps answering) and the making of the widgets (the kernel's loop,
    which blocks it), then the same formula applied again after another one."""
    box = FormulaBox("x**2 + y**2")
    print(f"\n{'FormulaBox: apply':58} {'plan':>8} {'widgets':>8} {'again':>8}")
    for text in FORMULAS[:3]:
        gc.collect()
        started = time.perf_counter()
        plan = formula_box.plan_dashboard(parse_formula(text), box.options)
        planned = time.perf_counter() - started
        box._install(plan)
        made = time.perf_counter() - started - planned
        box.formula_text.value = text  # the box's text follows (its formula is shown)
        box.formula_text.value = "x**2 + y**2"
        again = time.perf_counter()
        box.formula_text.value = text
        again = time.perf_counter() - again
        print(f"{text:58} {planned:>6.2f} s {made:>6.2f} s {again:>6.2f} s", flush=True)
    box.close()


def timed(build: Callable[[], Any]) -> float:
    gc.collect()  # the garbage of earlier cases is not this view's
    started = time.perf_counter()
    view = build()
    seconds = time.perf_counter() - started
    view.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="", help="label of a case to profile")
    parser.add_argument("--only", default="", help="run only the cases whose label has this")
    args = parser.parse_args()

    started = time.perf_counter()
    first = timed(lambda: GradDescentWidget(fresh(known.quadratic_bowl(4.0))))
    print(f"first view of the process (JAX start-up included): {first:.2f} s "
          f"({time.perf_counter() - started:.2f} s)")  # fmt: skip
    print(f"{'view':58} {'first open':>10} {'again':>8}")
    for label, maker in cases():
        if args.only and args.only not in label:
            continue
        build = maker()
        if label == args.profile:
            profile = cProfile.Profile()
            profile.enable()
            cold = timed(build)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
            print(out.getvalue())
        else:
            cold = timed(build)
        warm = timed(build)
        flag = "  > 1 s" if cold > 1.0 else ""
        print(f"{label:58} {cold:>8.2f} s {warm:>6.2f} s{flag}", flush=True)
    if not args.only or "FormulaBox" in args.only:
        box_rows()


if __name__ == "__main__":
    main()
