"""Engine benchmark: the engine against a hand-written jitted loop and the naive loop.

Run: ``.venv/bin/python benchmarks/engine.py``. Prints a table; asserts nothing.

References, measured in the same run:
  (a) the teaching notebook's naive loop: ``grad`` called un-jitted at every step;
  (b) a hand-written ``jit(lax.scan)`` loop for goldfield (and its ``vmap`` over starts),
      recording params and loss, with results copied to numpy as the engine does.
The engine records params, loss and gradient per step, checks finiteness and
convergence, and accepts any optimizer and traced hyperparameters.

Family cases (one ``Descent.family`` call at many learning rates, each member bit for
bit its single run) are measured against the same members as that many single
``Descent.run`` / ``Descent.finals`` calls, and as that many calls of the hand-written
loop (with the learning rate as an argument, so none recompiles).
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxgrad_widgets.engine import Objective, descent_for, final_points, trajectories
from jaxgrad_widgets.functions import goldfield

LEARNING_RATE = 0.01


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median seconds of each function, timed in turn so that load on the machine hits all."""
    for _ in range(2):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def paired_medians(
    reference: Callable[[], object], engine: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median seconds of each, timed alternately so that load on the machine hits both."""
    t_reference, t_engine = interleaved_medians([reference, engine], repeats)
    return t_reference, t_engine


def naive_loop(steps: int) -> np.ndarray:
    """The teaching notebook's loop: un-jitted grad at every step."""
    dfdx = jax.grad(goldfield, argnums=(0, 1))
    x, y = 0.1, 0.1
    for _ in range(steps):
        gx, gy = dfdx(x, y)
        x, y = x - LEARNING_RATE * gx, y - LEARNING_RATE * gy
    return np.array([x, y])


def goldfield_vec(p):
    return goldfield(p[0], p[1])


def _recorded_descent(steps: int):
    """p0, lr -> (path, losses): jit(lax.scan) recording params and loss."""

    def descend(p0, lr):
        def step(p, _):
            loss, g = jax.value_and_grad(goldfield_vec)(p)
            return p - lr * g, (p, loss)

        _, (path, losses) = jax.lax.scan(step, p0, None, length=steps + 1)
        return path, losses

    return descend


def _final_descent(steps: int):
    """p0, lr -> (last point, its loss)."""

    def descend(p0, lr):
        def step(p, _):
            return p - lr * jax.grad(goldfield_vec)(p), None

        last, _ = jax.lax.scan(step, p0, None, length=steps)
        return last, goldfield_vec(last)

    return descend


def hand_written_paths(steps: int):
    """The recorded descent at LEARNING_RATE (a constant of the compiled code); vmap for
    many starts."""
    descend = functools.partial(_recorded_descent(steps), lr=LEARNING_RATE)
    return jax.jit(descend), jax.jit(jax.vmap(descend))


def hand_written_finals(steps: int):
    return jax.jit(jax.vmap(functools.partial(_final_descent(steps), lr=LEARNING_RATE)))


def hand_written_rate_paths(steps: int):
    """hand_written_paths with the learning rate as a traced argument (one member)."""
    descend = _recorded_descent(steps)
    return jax.jit(descend), jax.jit(jax.vmap(descend, in_axes=(0, None)))


def hand_written_rate_finals(steps: int):
    """hand_written_finals with the learning rate as a traced argument (one member)."""
    return jax.jit(jax.vmap(_final_descent(steps), in_axes=(0, None)))


#: The learning-rate slider's whole grid: 10**-5 to 10**1 in steps of 0.01 (601 rates).
SLIDER_RATES = np.clip(10.0 ** (np.arange(-500, 101) / 100), 1e-5, 10.0)


def to_numpy(outputs) -> None:
    for out in outputs:
        np.asarray(out)


def main() -> None:
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, python {sys.version.split()[0]}")
    rng = np.random.default_rng(0)

    # (d) first trajectory, including validation and compilation, in a fresh objective.
    start = time.perf_counter()
    objective = Objective(goldfield)
    trajectories(objective, "sgd", [[0.1, 0.1]], 300, {"learning_rate": LEARNING_RATE})
    first_call = time.perf_counter() - start

    # (a) naive loop, 300 steps (one repeat is ~1 s).
    naive = median_seconds(lambda: naive_loop(300), repeats=3, warmup=1)

    rows = []
    descent = descent_for(objective, "sgd")
    hyper = {"learning_rate": LEARNING_RATE}

    def paths_case(label, k, steps, repeats):
        starts = rng.uniform(-2, 2, (k, 2)).astype(np.float32)
        one, many = hand_written_paths(steps)
        ref = (
            (lambda: to_numpy(one(jnp.asarray(starts[0]))))
            if k == 1
            else (lambda: to_numpy(many(jnp.asarray(starts))))
        )
        t_ref, t_engine = paired_medians(ref, lambda: descent.run(starts, steps, hyper), repeats)
        rows.append((label, k * steps, t_ref, t_engine))

    paths_case("1 start x 300 steps", 1, 300, 200)
    paths_case("1024 starts x 300 steps", 1024, 300, 20)
    paths_case("1 start x 10,000 steps", 1, 10_000, 20)

    axis = np.linspace(-2, 2, 256, dtype=np.float32)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    finals_ref = hand_written_finals(500)
    t_ref, t_engine = paired_medians(
        lambda: to_numpy(finals_ref(jnp.asarray(grid))),
        lambda: final_points(objective, "sgd", grid, 500, hyper),
        15,
    )
    rows.append(("256x256 grid x 500 steps (finals)", grid.shape[0] * 500, t_ref, t_engine))

    family_rows = []

    def family_case(label, rates, k, steps, finals, repeats):
        starts = rng.uniform(-2, 2, (k, 2)).astype(np.float32)
        rates = [float(r) for r in rates]
        if finals:
            by_hand = hand_written_rate_finals(steps)

            def hand_written():
                for r in rates:
                    to_numpy(by_hand(jnp.asarray(starts), r))

            def singles():
                for r in rates:
                    descent.finals(starts, steps, {"learning_rate": r})
        else:
            one, many = hand_written_rate_paths(steps)
            # Chosen before the loop: the timed calls are the compiled runs alone.
            by_hand, points = (one, starts[0]) if k == 1 else (many, starts)

            def hand_written():
                for r in rates:
                    to_numpy(by_hand(jnp.asarray(points), r))

            def singles():
                for r in rates:
                    descent.run(starts, steps, {"learning_rate": r})

        def family():
            descent.family(starts, steps, values=rates, finals=finals)

        times = interleaved_medians([family, singles, hand_written], repeats)
        family_rows.append((label, len(rates) * k * steps, *times))

    family_case("41 rates x 1 start x 300 steps", 10.0 ** (np.arange(-40, 1) / 10), 1, 300,
                False, 100)  # fmt: skip
    family_case("12 rates x 16 starts x 1000 steps", 10.0 ** (np.arange(-12, 0) / 4), 16, 1000,
                False, 30)  # fmt: skip
    family_case("601 rates x 16 starts x 1000 (finals)", SLIDER_RATES, 16, 1000, True, 5)

    print()
    print(f"{'case':36} {'hand-written':>13} {'engine':>11} {'ratio':>6} {'steps/s':>13}")
    for label, total_steps, t_ref, t_engine in rows:
        print(
            f"{label:36} {t_ref * 1e3:10.3f} ms {t_engine * 1e3:8.3f} ms "
            f"{t_engine / t_ref:5.2f}x {total_steps / t_engine:13,.0f}"
        )
    print()
    print(
        f"{'family case (one call)':38} {'family':>10} {'single runs':>12} {'ratio':>6} "
        f"{'hand-written':>13} {'ratio':>6} {'steps/s':>13}"
    )
    for label, total_steps, t_family, t_singles, t_hand in family_rows:
        print(
            f"{label:38} {t_family * 1e3:7.2f} ms {t_singles * 1e3:9.2f} ms "
            f"{t_family / t_singles:5.2f}x {t_hand * 1e3:10.2f} ms {t_family / t_hand:5.2f}x "
            f"{total_steps / t_family:13,.0f}"
        )
    print("(single runs and hand-written: one call per rate; ratio = family / reference)")
    one_start = rows[0][3]
    print()
    print(f"naive loop, 300 steps (un-jitted grad per step): {naive * 1e3:9.1f} ms")
    print(f"engine, 1 start x 300 steps:                      {one_start * 1e3:9.3f} ms")
    print(f"engine speed-up over the naive loop:             {naive / one_start:9,.0f}x")
    print(f"first trajectory incl. validation + compilation: {first_call * 1e3:9.1f} ms")
    print()
    print(
        "targets: ratio <= 1.5 at every size; >= 10,000x over the naive loop; "
        ">= 100,000,000 steps/s for 1024 starts; grid < 1 s"
    )


if __name__ == "__main__":
    main()
