"""Whole families benchmark: basins, the learning-rate sweep and the optimizer race.

Run: ``.venv/bin/python benchmarks/families.py`` (add ``--browser`` for the basins'
redraw in a real browser, from ``families_browser.py``). Prints a table; asserts nothing.

Each figure is the median of warm calls (compiled once before timing), measured
interleaved with its references in the same run:
  - basins, 256 x 256 starts x 500 steps of goldfield (sgd, rate 0.05): the kernel call
    alone (``BasinsJob.seconds``) and the whole call with labelling, against
    ``final_points`` on the same starts and a hand-written ``jit(vmap(lax.scan))`` loop
    keeping only the last point; target at most 100 ms of kernel time;
  - the sweep, the slider's 601 rates x 16 starts x 1000 steps: ``learning_rate_sweep``
    against the hand-written finals loop called once per rate (the rate a traced
    argument, so nothing recompiles) and 601 single ``Descent.finals`` calls; target at
    most 100 ms in the kernel;
  - the race, 6 optimizers tuned over 121 rates each x 1000 steps; target at most 1 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import (
    SLIDER_RATES,
    hand_written_rate_finals,
    interleaved_medians,
    to_numpy,
)

from jaxgrad_widgets.engine import (
    BasinsJob,
    Objective,
    descent_for,
    final_points,
    learning_rate_sweep,
    race,
)
from jaxgrad_widgets.engine.basins import cell_centres
from jaxgrad_widgets.functions import goldfield

BOUNDS = ((-2.0, 2.0), (-2.0, 2.0))


def _grid_starts(n: int) -> np.ndarray:
    xs, ys = cell_centres(*BOUNDS[0], n), cell_centres(*BOUNDS[1], n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def basins_case(objective: Objective, repeats: int) -> list[str]:
    n, steps, rate = 256, 500, 0.05
    starts = _grid_starts(n)
    hand = hand_written_rate_finals(steps)
    kernel: list[float] = []

    def engine_basins() -> None:
        job = BasinsJob(objective, "sgd", BOUNDS, steps, {"learning_rate": rate}, resolution=n)
        job.advance(float("inf"))
        job.result()
        kernel.append(job.seconds)

    whole, finals, handwritten = interleaved_medians([
        engine_basins,
        lambda: final_points(objective, "sgd", starts, steps, {"learning_rate": rate}),
        lambda: to_numpy(hand(starts, np.float32(rate))),
    ], repeats)  # fmt: skip
    kernel_median = float(np.median(kernel[2:]))
    return [
        f"basins 256² x 500   kernel {kernel_median * 1e3:7.1f} ms   whole {whole * 1e3:7.1f} ms"
        f"   (target ≤ 100 ms kernel)",
        f"  references: final_points {finals * 1e3:.1f} ms, hand-written finals loop "
        f"{handwritten * 1e3:.1f} ms; kernel / hand-written {kernel_median / handwritten:.2f}x",
    ]


def sweep_case(objective: Objective, repeats: int) -> list[str]:
    steps = 1000
    rng = np.random.default_rng(0)
    starts = rng.uniform(-1.5, 1.5, size=(16, 2)).astype(np.float32)
    rates = SLIDER_RATES.tolist()
    hand = hand_written_rate_finals(steps)
    descent = descent_for(objective, "sgd")

    def singles() -> None:
        for rate in rates:
            descent.finals(starts, steps, {"learning_rate": rate})

    def hand_loop() -> None:
        for rate in rates:
            to_numpy(hand(starts, np.float32(rate)))

    sweep, single, handwritten = interleaved_medians([
        lambda: learning_rate_sweep(objective, "sgd", starts, steps, rates=rates),
        singles,
        hand_loop,
    ], max(repeats // 2, 3))  # fmt: skip
    return [
        f"sweep 601 x 16 x 1000   {sweep * 1e3:7.1f} ms   (target ≤ 100 ms)",
        f"  references: 601 single finals calls {single * 1e3:.1f} ms "
        f"({single / sweep:.1f}x the sweep), hand-written loop per rate {handwritten * 1e3:.1f} ms "
        f"({handwritten / sweep:.1f}x)",
    ]


def race_case(objective: Objective, repeats: int) -> list[str]:
    started = time.perf_counter()
    result = race(objective, (0.1, 0.1), steps=1000)
    cold = time.perf_counter() - started
    (warm,) = interleaved_medians([lambda: race(objective, (0.1, 0.1), steps=1000)],
                                  max(repeats // 2, 3))  # fmt: skip
    rates = ", ".join(f"{name} {rate:.3g}" for name, rate in result.rates.items())
    return [
        f"race 6 x 121 rates x 1000   warm {warm * 1e3:7.1f} ms   first call (compiling) "
        f"{cold:.2f} s   (target ≤ 1 s)",
        f"  tuned rates: {rates}; ranking: {' > '.join(result.ranking)}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--browser", action="store_true", help="also time the basins' redraw")
    parser.add_argument("--trials", type=int, default=10, help="browser trials per action")
    args = parser.parse_args()
    objective = Objective(goldfield)
    lines = [*basins_case(objective, args.repeats), *sweep_case(objective, args.repeats),
             *race_case(objective, args.repeats)]  # fmt: skip
    print("\n".join(lines))
    if args.browser:
        from families_browser import main as browser_main

        browser_main(["--trials", str(args.trials)])


if __name__ == "__main__":
    main()
