"""What the dashboard computes for its whole-family views: the sweep and the basins.

Each view depends on some of the inputs and not on others: the sweep on everything
but the learning rate (moving the rate only moves its marker), the basins on
everything but the starts (every grid point is a start). :class:`SweepTask` and
:class:`BasinsTask` know which, compute in the background after the run (chunked,
through the scheduler, dropped when their view is hidden or their inputs change) and
hand the result to their view; their Python methods compute at once.

Example:
    >>> from jaxgrad_widgets import GradDescentWidget
    >>> from jaxgrad_widgets.functions import goldfield
    >>> w = GradDescentWidget(goldfield)
    >>> w.show_basins = True       # outside a kernel, computed at once
    >>> w.player.raster_layout["width"], w.basins_task.shown is not None
    (256, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..engine import Objective, descent_for
from ..engine.basins import Basins, BasinsJob
from ..engine.sweep import Sweep, SweepJob
from ..functions import FunctionInfo
from .family import LearningRateFamily
from .panels import MapPanel, SweepPanel
from .player import Player
from .scheduler import COMPUTE_BUDGET, Scheduler
from .state import DescentState

#: The sweep panel's whole grid may take this long (seconds) in the background; a
#: slower objective's sweep takes every k-th rate of the slider instead.
SWEEP_SECONDS = 10.0
#: The basin layer's grid side: 65,536 starts, 64 KB to the browser.
BASINS_RESOLUTION = 256


class SweepTask:
    """The learning-rate sweep: held per combination of inputs, shown in a panel.

    Args:
        state: the dashboard's inputs; scheduler: when work runs; family: the runs
            along the slider's grid (it holds the sweep per key); objective, tolerance:
            the descent's; on_rate: asked for the learning rate a click chooses.

    Attributes:
        panel: the :class:`~.panels.SweepPanel`, made when first shown (None before);
            the dashboard lays its figure out.
    """

    def __init__(self, state: DescentState, scheduler: Scheduler, family: LearningRateFamily,
                 objective: Objective, tolerance: float,
                 on_rate: Callable[[float], None]) -> None:  # fmt: skip
        self.state, self.scheduler, self.family = state, scheduler, family
        self.objective, self.tolerance, self.on_rate = objective, tolerance, on_rate
        self.panel: SweepPanel | None = None
        self.on = False
        self.shown_key: Any = None

    def show(self, on: bool) -> None:
        """Show or hide the panel (made the first time)."""
        self.on = on
        if on and self.panel is None:
            self.panel = SweepPanel()
            self.panel.on_rate = lambda rate: self.on_rate(self.family.grid.snapped(rate))
        if not on:
            self.scheduler.drop("sweep")
        else:
            self.plan()

    def plan(self) -> None:
        """The sweep for the current inputs: its marker moved when it is shown already,
        the held one shown, or computed after the run."""
        state, panel = self.state, self.panel
        if not self.on or panel is None:
            return
        held = self.family.sweep(state.key)
        if self.shown_key == state.key:
            panel.set_rate(state.inputs.learning_rate)
        elif held is not None:
            self.shown_key = state.key
            panel.show(held, state.inputs.learning_rate)
        elif state.spec.injectable:
            self.scheduler.background("sweep", self._work)
        else:
            self.shown_key = None
            panel.clear("no sweep: this optimizer has its learning rate built in; choose one "
                        "by name")  # fmt: skip

    def job(self, rates: Sequence[float] | None, thin: bool = False) -> SweepJob:
        """The sweep of the current inputs at ``rates`` (default: the slider's grid;
        ``thin``: every k-th of it when the whole would take over SWEEP_SECONDS)."""
        state = self.state
        values = self.family.grid.values() if rates is None else rates
        cost = self.scheduler.cost
        if thin and cost > 0 and len(values) * cost > SWEEP_SECONDS:
            values = values[:: math.ceil(len(values) * cost / SWEEP_SECONDS)]
        return SweepJob(
            descent_for(self.objective, state.inputs.optimizer), state.effective_starts,
            state.inputs.steps, state.hyper_values, rates=values, tol=self.tolerance,
            mask=state.mask, run_seconds=cost or None,
        )  # fmt: skip

    def _work(self) -> Iterator[None]:
        key = self.state.key
        job = self.job(None, thin=True)
        while not job.advance(COMPUTE_BUDGET):
            yield
        sweep = job.result()
        if sweep.rates.size == self.family.grid.size:
            self.family.keep_sweep(key, sweep)
        self.shown_key = key
        assert self.panel is not None
        self.panel.show(sweep, self.state.inputs.learning_rate)

    def compute(self, rates: Sequence[float] | None = None) -> Sweep:
        """The sweep now (the held one for the slider's grid, if any)."""
        key = self.state.key
        held = self.family.sweep(key)
        if rates is None and held is not None:
            return held
        job = self.job(rates)
        job.advance(math.inf)
        sweep = job.result()
        if rates is None:
            self.family.keep_sweep(key, sweep)
        return sweep


class BasinsTask:
    """The basins of attraction on the map: recomputed when their inputs change.

    Args:
        state, scheduler, objective, tolerance: as :class:`SweepTask`.
        map: the map panel (its basin layer, and the landscape's held values).
        player: paints the layer in the browser.
        info: a known function's description (its minima seed the labels).
        gradient_seconds: what one gradient costs (a slow one goes stepwise).
    """

    def __init__(self, state: DescentState, scheduler: Scheduler, objective: Objective,
                 tolerance: float, map: MapPanel, player: Player, info: FunctionInfo | None,
                 gradient_seconds: float) -> None:  # fmt: skip
        self.state, self.scheduler, self.objective = state, scheduler, objective
        self.tolerance, self.map, self.player = tolerance, map, player
        self.info, self.gradient_seconds = info, gradient_seconds
        self.on = False
        self.shown: Any = None
        #: Seconds the last whole map took (compiling aside); None before the first.
        self.seconds: float | None = None

    def show(self, on: bool) -> None:
        self.on = on
        if on:
            self.plan()
        else:
            self.shown = None
            self.scheduler.drop("basins")
            self.map.basins.hide(self.player)

    def key(self) -> tuple[Any, ...]:
        """What the basins depend on: not the starts (every grid point is one)."""
        state, inputs = self.state, self.state.inputs
        return (id(state.spec), tuple(sorted(state.hyper_values.items())), inputs.steps,
                tuple(sorted(inputs.lock.items())), inputs.map_dims, state.bounds)  # fmt: skip

    def plan(self) -> None:
        if self.on and self.key() != self.shown:
            self.scheduler.background("basins", self._work)

    def job(self, resolution: int) -> BasinsJob:
        state, info = self.state, self.info
        known = None
        if info is not None and info.minima and len(info.minima[0]) == self.objective.dim:
            known = info.minima
        # Off the map, parameters are held as the map holds them (its landscape's base).
        grid = getattr(self.map, "grid", None)
        return BasinsJob(
            self.objective, state.inputs.optimizer, state.bounds, state.inputs.steps,
            state.hyper_values, resolution=resolution, dims=state.inputs.map_dims,
            base=None if grid is None else grid.base, tol=self.tolerance, mask=state.mask,
            minima=known, gradient_seconds=self.gradient_seconds,
        )  # fmt: skip

    def _work(self) -> Iterator[None]:
        key = self.key()
        job = self.job(BASINS_RESOLUTION)
        # Once a whole map is known to take about a budget, it is one call: blocks would
        # each wait a turn of the loop, and each new block size compiles.
        fast = self.seconds is not None and self.seconds < 2 * COMPUTE_BUDGET
        budget = math.inf if fast and not job.stepwise else COMPUTE_BUDGET
        while not job.advance(budget):
            self.map.basins.say(f"computing the basins: {job.progress:.0%}")
            yield
        self.seconds = job.seconds + job.labelling_seconds
        basins = job.result()
        self.shown = key
        self.map.basins.show(self.player, basins.labels, basins.steps, basins.total_steps,
                             basins.minima, self.state.bounds)  # fmt: skip

    def compute(self, resolution: int = BASINS_RESOLUTION) -> Basins:
        job = self.job(resolution)
        job.advance(math.inf)
        return job.result()
