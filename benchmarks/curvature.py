"""Curvature benchmark: Newton's methods against gradient descent, and the end-of-run
curvature the status computes.

Run: ``.venv/bin/python benchmarks/curvature.py``. Prints a table; asserts nothing.

Same run, warm medians (interleaved):
  - 1 start x 300 steps on goldfield: gradient descent, Newton's method and saddle-free
    Newton (each step also takes a Hessian and solves with it); target: Newton at
    most 3x gradient descent;
  - the status's end of a run (``end_of_run``: the Hessian, its eigenvalues, the
    measured rate) for one converged start;
  - every critical point of a 120 x 120 map (``critical_points``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import interleaved_medians

from jaxgrad_widgets.engine import Objective, descent_for, grid_values
from jaxgrad_widgets.engine.curvature import critical_points, end_of_run
from jaxgrad_widgets.functions import goldfield


def main() -> None:
    objective = Objective(goldfield)
    runs = {name: descent_for(objective, name) for name in ("sgd", "newton", "saddle_free_newton")}
    rates = {"sgd": 0.05, "newton": 1.0, "saddle_free_newton": 1.0}
    calls = [
        (lambda d=d, name=name: d.run([[0.1, 0.1]], 300, {"learning_rate": rates[name]}))
        for name, d in runs.items()
    ]
    medians = interleaved_medians(calls, 41)
    sgd = medians[0]
    for (name, _), seconds in zip(runs.items(), medians, strict=True):
        print(f"{name:20s} 1 x 300 steps   {seconds * 1e3:6.3f} ms   {seconds / sgd:4.2f}x sgd")
    run = runs["sgd"].run([[0.1, 0.1]], 300, {"learning_rate": 0.05})
    path = run.params[0, : run.final_index(0) + 1]
    grid = grid_values(objective, [(-2, 2), (-2, 2)], 120)
    end, critical = interleaved_medians([
        lambda: end_of_run(objective, path, "sgd", {"learning_rate": 0.05}),
        lambda: critical_points(objective, grid),
    ], 21)  # fmt: skip
    print(f"end of a run (kind, κ, rates)       {end * 1e3:6.3f} ms")
    print(f"critical points of a 120² map      {critical * 1e3:6.3f} ms")


if __name__ == "__main__":
    main()
