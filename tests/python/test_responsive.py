"""A slow objective never blocks the kernel: its descent runs in chunks between messages."""

import asyncio
import math
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from kernel_loop import in_kernel_loop
from kernel_session import run_cell, started_kernel

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import ChunkedRun, Objective, descent_for, trajectories
from jaxgrad_widgets.widgets.scheduler import COMPUTE_BUDGET

#: Seconds each gradient of the slow objective takes (its value is instant).
DELAY = 0.05


def slow_bowl_taking(delay: float):
    """x**2 + 2 y**2 whose every gradient takes ``delay`` seconds: the identity wrapped
    around it has a gradient computed on the host (an adjoint simulation, say)."""

    def wait_on_host(g):
        time.sleep(delay)
        return g

    @jax.custom_vjp
    def expensive(p):
        return p

    expensive.defvjp(
        lambda p: (p, None),
        lambda _, g: (
            jax.pure_callback(wait_on_host, jax.ShapeDtypeStruct(g.shape, g.dtype), g,
                              vmap_method="sequential"),
        ),
    )  # fmt: skip

    def slow_bowl(x, y):
        p = expensive(jnp.stack([x, y]))
        return p[0] ** 2 + 2 * p[1] ** 2

    return slow_bowl


slow_bowl = slow_bowl_taking(DELAY)


def _widget(**kwargs):
    options = dict(start=(1.5, 1.0), steps=20, learning_rate=0.1, bounds=[(-2, 2), (-2, 2)])
    return GradDescentWidget(slow_bowl, **{**options, **kwargs})


def _expected(lr, steps=20):
    obj = Objective(slow_bowl)
    return trajectories(obj, "sgd", [[1.5, 1.0]], steps, {"learning_rate": lr}).params


async def _until_done(w, timeout=60.0):
    deadline = time.perf_counter() + timeout
    while w.scheduler.job is not None:
        assert time.perf_counter() < deadline, "the slow descent never finished"
        await asyncio.sleep(0.01)


def test_chunks_are_sized_by_measured_time():
    """At DELAY seconds per step, a budget of COMPUTE_BUDGET fits one step per chunk."""
    job = ChunkedRun(descent_for(Objective(slow_bowl), "sgd"), [[1.5, 1.0]], 10,
                     {"learning_rate": 0.1})  # fmt: skip
    turns = 0
    while not job.advance(COMPUTE_BUDGET):
        turns += 1
    assert job.chunks == [1] * 11 and turns >= 9  # the first call also compiles
    np.testing.assert_array_equal(job.result().params, _expected(0.1, steps=10))


def test_an_unjittable_objective_runs_in_chunks_too():
    def python_if(x, y):
        time.sleep(0.01)
        return x**2 + y**2 if x > 0 else x**2 + 2 * y**2

    with pytest.warns(UserWarning, match="cannot be compiled"):
        obj = Objective(python_if)
    job = ChunkedRun(descent_for(obj, "sgd"), [[1.0, 1.0], [0.5, 0.5]], 8,
                     {"learning_rate": 0.1})  # fmt: skip
    while not job.advance(0.001):  # less than a step: one record per call
        pass
    assert job.chunks == [1] * 9
    np.testing.assert_allclose(job.result().params[:, -1], [[0.1678, 0.1678], [0.0839, 0.0839]],
                               atol=1e-4)  # fmt: skip


def test_a_slow_descent_lets_the_event_loop_run_and_shows_progress():
    async def scenario():
        ticks = []

        async def ticker():
            while True:
                ticks.append(time.perf_counter())
                await asyncio.sleep(0)

        task = asyncio.ensure_future(ticker())
        w = _widget()
        job = w.scheduler.job
        assert job is not None and not job.finished  # it did not block the constructor
        assert 0 <= w.progress < 1 and w.message.startswith("computing step ")
        assert '<progress class="jgw-progress"' in w.status_line.value
        await _until_done(w)
        task.cancel()
        assert len(ticks) > 10  # the loop ran other work between the chunks
        assert w.progress is None and "computed in" in w.message
        assert "<progress" not in w.status_line.value
        assert max(job.chunks) == 1
        np.testing.assert_array_equal(w.trajectory, _expected(0.1))
        assert w.player.n_frames == 21
        w.close()

    in_kernel_loop(scenario)


def test_partial_paths_are_streamed_while_computing():
    async def scenario():
        w = _widget(steps=40)
        shown = set()
        while w.scheduler.job is not None:
            shown.add(w.player.n_frames)
            await asyncio.sleep(0.05)
        assert len(shown - {41}) >= 2  # at least two partial paths reached the Player
        assert w.player.n_frames == 41
        w.close()

    in_kernel_loop(scenario)


def test_a_new_input_supersedes_a_running_descent():
    async def scenario():
        w = _widget()
        first = w.scheduler.job
        await asyncio.sleep(0.15)
        w.learning_rate = 0.2  # as a slider move would
        assert first.done < first.total  # dropped half way
        await _until_done(w)
        assert first.done < first.total  # and never resumed
        np.testing.assert_array_equal(w.trajectory, _expected(0.2))
        assert w.status[0]["final_point"] == pytest.approx(tuple(_expected(0.2)[0, -1]))
        w.close()

    in_kernel_loop(scenario)


def test_python_reads_finish_a_running_descent_and_close_cancels_it():
    async def scenario():
        w = _widget()
        assert w.scheduler.job is not None
        np.testing.assert_array_equal(w.trajectory, _expected(0.1))  # finished on demand
        assert w.scheduler.job is None and "computed in" in w.message
        w.learning_rate = 0.3
        job = w.scheduler.job
        w.close()
        await asyncio.sleep(0.2)
        assert job.done < job.total  # closing stopped it

    in_kernel_loop(scenario)


def test_a_real_kernel_answers_while_a_slow_descent_runs():
    """In an ipykernel, the next cell runs while the descent is still being computed."""
    with started_kernel() as client:
        setup = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
            from test_responsive import _widget
            w = _widget(steps=40)
        """)
        assert run_cell(client, setup) == ""
        # Sent at once: answered between two chunks, before the 2 s of descent are over.
        during = run_cell(client, "print(w.scheduler.job is not None, round(w.progress, 2))")
        pending, progress = during.split()
        assert pending == "True" and 0 < float(progress) < 1
        after = run_cell(client, "print(w.trajectory.shape, w.scheduler.job is None)")
        assert after == "(1, 41, 2) True"


def test_fast_objectives_still_finish_at_once():
    async def scenario():
        from jaxgrad_widgets.functions import goldfield

        w = GradDescentWidget(goldfield, learning_rate=0.05)
        await _until_done(w)  # the first run also compiles
        assert w.result.summary(0) == "converged at step 98"
        w.learning_rate = 0.06
        assert w.scheduler.job is None and not math.isnan(w.status[0]["loss"])
        assert w.result.summary(0) == "converged at step 81"

    in_kernel_loop(scenario)


def test_no_minima_search_for_a_slow_gradient():
    """Searching would take about 1,600 gradients (80 s here): the map frames the start."""
    w = GradDescentWidget(slow_bowl, start=(1.5, 1.0), steps=10)
    assert w.minima.shape == (0, 2)
    (x_low, x_high), (y_low, y_high) = w.bounds
    assert x_low < 1.5 < x_high and y_low < 1.0 < y_high
    assert w.trajectory.shape == (1, 11, 2)
    w.close()
