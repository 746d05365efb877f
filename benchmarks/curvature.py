"""Curvature benchmark: Newton's methods against gradient descent, and the end-of-run
curvature the status computes.

Run: ``.venv/bin/python benchmarks/curvature.py``. Prints a table; asserts nothing.

Same run, warm medians (interleaved):
  - 1 start x 300 steps on goldfield: gradient descent, Newton's method and saddle-free
    Newton (each step also takes a Hessian and solves with it); target: Newton at
    most 3x gradient descent;
  - the status's end of a run (``end_of_run``: the Hessian, its eigenvalues, the
    measured rate) for one converged start;
  - every critical point of a 120 x 120 map (``critical_points``);
  - the curvature toggle's tracks: the Hessian's axes at every point of 16 paths of
    1,000 steps (``curvature_along``, one compiled call); target: at most 20 ms. The
    references: the same points through a hand-written ``jit(vmap(hessian))`` and
    ``eigh``, and the descent that made the paths; then what the map adds (half-lengths)
    and the bytes the axes add to each run and family member;
  - Newton's step-size control: compilations while it moves (target: none).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax
import jax.numpy as jnp
import numpy as np
from engine import interleaved_medians

from jaxgrad_widgets.engine import Objective, descent_for, grid_values
from jaxgrad_widgets.engine.curvature import critical_points, end_of_run
from jaxgrad_widgets.engine.path_curvature import curvature_along
from jaxgrad_widgets.functions import goldfield
from jaxgrad_widgets.widgets.panels.curvature_axes import axis_lengths


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
    curvature_tracks(objective, runs["sgd"])
    step_size_compiles(runs["newton"])


def curvature_tracks(objective: Objective, sgd) -> None:
    """The curvature toggle's cost for 16 starts x 1,000 steps, against references."""
    starts = np.random.default_rng(0).uniform(-1.9, 1.9, (16, 2)).astype(np.float32)
    hyper = {"learning_rate": 0.01}
    paths = sgd.run(starts, 1000, hyper).params
    flat = jnp.asarray(paths.reshape(-1, 2))
    hessians = jax.jit(jax.vmap(jax.hessian(lambda p: goldfield(p[0], p[1]))))

    def by_hand():
        return jnp.linalg.eigh(hessians(flat))[0].block_until_ready()

    tracks, hand, descent = interleaved_medians([
        lambda: curvature_along(objective, paths),
        by_hand,
        lambda: sgd.run(starts, 1000, hyper),
    ], 41)  # fmt: skip
    axes = curvature_along(objective, paths)
    reference = 4.0  # of the order of goldfield's curvature over [-2, 2]²
    (lengths,) = interleaved_medians([
        lambda: (axis_lengths(axes.first, 0.36, reference),
                 axis_lengths(axes.second, 0.36, reference)),
    ], 41)  # fmt: skip
    points = paths.shape[0] * paths.shape[1]
    print(f"curvature tracks 16 x 1000 steps   {tracks * 1e3:6.3f} ms   target <= 20 ms   "
          f"({points:,} points)")  # fmt: skip
    print(f"  hand-written vmap(hessian)+eigh  {hand * 1e3:6.3f} ms   "
          f"{tracks / hand:4.2f}x of it")  # fmt: skip
    print(f"  the descent itself (sgd)         {descent * 1e3:6.3f} ms   "
          f"{tracks / descent:4.2f}x of it")  # fmt: skip
    print(f"  the map's half-lengths           {lengths * 1e3:6.3f} ms")
    print(f"  bytes the axes add per run       {3 * 4 * points:,} (3 float32 per point; "
          f"the paths and arrows: {4 * 4 * points:,})")  # fmt: skip


def step_size_compiles(newton) -> None:
    """Newton's step-size control moving over five values: compilations (target: none)."""
    newton.run([[0.1, 0.1]], 300, {"learning_rate": 1.0})
    traced = newton.trace_count
    for rate in (0.9, 0.5, 0.25, 0.1, 0.75):
        newton.run([[0.1, 0.1]], 300, {"learning_rate": rate})
    print(f"Newton step size moved 5 times     {newton.trace_count - traced} compilations")


if __name__ == "__main__":
    main()
