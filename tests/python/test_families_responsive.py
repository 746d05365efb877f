"""The sweep and the basins never block the kernel: they run chunked, after the primary
run, and a newer input (or closing their view) drops what is left of them."""

from __future__ import annotations

import asyncio
import itertools
import time

from kernel_loop import in_kernel_loop
from test_responsive import slow_bowl_taking

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.widgets.scheduler import Scheduler

#: Seconds each gradient of the slow objective takes (less than test_responsive's: the
#: basins run many of them).
DELAY = 0.01
slow_bowl = slow_bowl_taking(DELAY)


async def _ticks_while(seconds: float) -> list[float]:
    """The event loop's turns over ``seconds`` (the kernel answering messages meanwhile)."""
    ticks = [time.perf_counter()]
    while ticks[-1] - ticks[0] < seconds:
        await asyncio.sleep(0)
        ticks.append(time.perf_counter())
    return ticks


def _longest_gap(ticks: list[float]) -> float:
    return max(b - a for a, b in itertools.pairwise(ticks))


def test_a_stepped_task_takes_one_turn_per_chunk_and_can_be_dropped():
    async def scenario():
        done: list[str] = []
        scheduler = Scheduler()

        def chunks(name, count):
            def work():
                for _ in range(count):
                    done.append(name)
                    yield

            return work

        scheduler.later("a", chunks("a", 50))
        scheduler.later("b", chunks("b", 3))
        await asyncio.sleep(0.2)
        assert done and set(done) == {"a"}  # b waits for a, which goes a turn at a time
        assert scheduler.pending("a")
        scheduler.drop("a")
        await asyncio.sleep(0.3)
        assert done.count("a") < 50 and done[-3:] == ["b", "b", "b"]
        assert not scheduler.pending("a") and not scheduler.pending("b")

    in_kernel_loop(scenario)


def test_slow_basins_run_stepwise_show_progress_and_stop_when_hidden():
    async def scenario():
        w = GradDescentWidget(slow_bowl, start=(1.5, 1.0), steps=3, learning_rate=0.1,
                              bounds=[(-2, 2), (-2, 2)])  # fmt: skip
        while w.scheduler.job is not None:
            await asyncio.sleep(0.01)
        w.show_basins = True
        # The first piece compiles the stepwise kernels for its count of starts (once).
        deadline = time.perf_counter() + 30
        while "computing the basins" not in w.map.basins.legend:
            assert time.perf_counter() < deadline
            await asyncio.sleep(0.01)
        ticks = await _ticks_while(1.5)
        assert _longest_gap(ticks) < 0.4, "the basins held the kernel"
        assert w.scheduler.pending("basins")
        w.show_basins = False
        assert not w.scheduler.pending("basins")
        await asyncio.sleep(0.3)
        assert w.player.raster_layout.get("width", 0) == 0  # nothing is painted after all
        w.close()

    in_kernel_loop(scenario)


def test_slow_sweep_runs_stepwise_and_a_new_input_starts_it_over():
    async def scenario():
        w = GradDescentWidget(slow_bowl, start=(1.5, 1.0), steps=3, learning_rate=0.1,
                              bounds=[(-2, 2), (-2, 2)])  # fmt: skip
        while w.scheduler.job is not None:
            await asyncio.sleep(0.01)
        w.show_sweep = True
        ticks = await _ticks_while(1.0)
        assert _longest_gap(ticks) < 0.4, "the sweep held the kernel"
        assert w.scheduler.pending("sweep")
        first = w.scheduler._stepping[1]
        w.steps = 4  # the sweep for 3 steps is stale: it starts over after the new run
        while w.scheduler.job is not None:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        assert w.scheduler.pending("sweep") and w.scheduler._stepping[1] is not first
        w.close()

    in_kernel_loop(scenario)
