"""GradDescentWidget: the interactive optimizer dashboard.

Python computes every step of every start once per input change (one compiled call)
and hands the frames to the Player, which plays them in the browser. Everything on
screen is also a trait or a method, so the widget can be scripted and tested headless.

A function of two or more parameters gets a contour map of two of them (the others
held for the map, still descending); a function of one parameter gets its curve
with the points rolling down it. ``lock={"y": 1.2}`` holds one map axis fixed: the
robot that can only move along the other, shown on a slice of the function.

The widget composes small parts: the :class:`~.state.DescentState` (inputs, their
checks, one change at a time, whole or not at all), the :class:`~.scheduler.Scheduler`
(when the descent and the work ahead run), the :class:`~.stage.Stage` (the Player and
the panels it plays), the panels (map or curve, loss, robot's slice, data, surface,
status, controls) and the :class:`~.family.LearningRateFamily` (the runs the browser
holds for the learning-rate slider's neighbouring positions).

Example:
    >>> from jaxgrad_widgets import GradDescentWidget
    >>> from jaxgrad_widgets.functions import goldfield
    >>> w = GradDescentWidget(goldfield, learning_rate=0.05)
    >>> w.trajectory.shape
    (1, 301, 2)
    >>> w.status[0]["summary"]
    'converged at step 98'
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets
import numpy as np
import optax
import traitlets

from ..engine import (
    DEFAULT_TOLERANCE,
    ChunkedRun,
    JaxGradError,
    Objective,
    ObjectiveError,
    Trajectories,
    check_bounds,
    curve_values,
    data_arguments,
    descent_for,
    resolve_optimizer,
    stable_learning_rate,
    suggest_bounds,
)
from ..engine.basins import Basins
from ..engine.curvature import EndOfRun, end_of_run, singular_hessian
from ..engine.path_curvature import curvature_along_paths
from ..engine.shared import shared_objective
from ..engine.sweep import Sweep
from ..functions import FunctionInfo, describe
from .companion import Companion
from .display import DisplayTransforms
from .family import LearningRateFamily, RateGrid
from .lifecycle import close_tree, kernel_loop, replace_earlier_runs
from .looks import layout, style
from .panels import (
    CURVE_POINTS,
    VIEWS,
    CompanionPanel,
    ControlsPanel,
    CurvePanel,
    LossPanel,
    MapPanel,
    RunView,
    StatusPanel,
    SurfacePanel,
)
from .requests import dragged_starts, lock_from_controls, parse_number, placed_starts
from .scheduler import Scheduler
from .stage import Panel, Stage
from .state import INPUT_NAMES, DescentState, Inputs, check_starts, parse_dims
from .status import shown_errors, start_rows
from .surface import SurfaceView
from .whole_families import BASINS_RESOLUTION, BasinsTask, SweepTask

#: Largest number of starts the map offers (clicks beyond it are refused).
DEFAULT_MAX_STARTS = 16
#: A gradient slower than this (seconds) is too slow to search for minima: the search
#: takes about 1,600 gradients (a few hundred Adam steps from a few candidates).
SLOW_GRADIENT = 0.01
#: The curvature axes' share of a run (seconds): for a gradient slower than
#: CHEAP_GRADIENT (bound data, say), they are computed at every k-th frame within it
#: (two Hessian-vector products a point, each about a gradient).
CURVATURE_SECONDS = 0.05
CHEAP_GRADIENT = 1e-4


class _Required(traitlets.Any):
    """Any value but None (traitlets.Any lets None past the validators)."""

    allow_none = False

    def validate(self, obj: Any, value: Any) -> Any:
        if value is None:
            raise ObjectiveError(f"{self.name} cannot be None")
        return value


class GradDescentWidget(ipywidgets.VBox):
    """A live gradient-descent dashboard for a function of one or more parameters.

    Args:
        f: the function to minimise, e.g. ``goldfield(x, y)`` or ``polynomial(x)``.
        argnums: positions of the arguments to optimise (as in ``jax.grad``).
        start: one start point; ``starts``: several.
        optimizer: a registry name ('sgd', 'momentum', 'nesterov', 'adagrad',
            'rmsprop', 'adam') or an ``optax.GradientTransformation``.
        learning_rate: defaults to the function's teaching example, else the
            optimizer's registry default.
        steps: optimizer steps per start.
        bounds: the view: ((xmin, xmax), (ymin, ymax)) of the map, or (xmin, xmax)
            of a 1-D curve; found when not given.
        lock: ``{"y": 1.2}`` holds that map axis fixed: descent uses only the
            partial derivative along the other.
        view: 'map' (contours), 'surface' (3-D, WebGL) or 'both' side by side.
        companion: a :class:`Companion`: the data, with the model of the current step
            drawn over it (a density over a histogram, a line over a scatter).
        display: ``{"log_sigma": ("sigma", jnp.exp)}`` shows sigma on axes and in the
            status while the optimisation stays in log space.
        dims: the two parameters the map shows (names or positions), for a
            function of more than two.
        max_starts: how many starts clicks may add.
        batch_size: rows of the bound data per step, for stochastic gradients (None or
            0: all of it); the loss plot then shows each step's minibatch loss.
        seed: the random seed of the minibatches (the same seed, the same path).
        **fixed: values for the function's other arguments (``data=...``).

    Example:
        >>> from jaxgrad_widgets.functions import goldfield
        >>> w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], steps=500)
        >>> w.trajectory[:, -1].round(2).tolist()
        [[1.0, 1.0], [-1.0, -1.0]]
        >>> w.learning_rate = 1.0
        >>> w.status[0]["summary"]
        'diverged at step 5 — try a learning rate of 0.125 or less'
        >>> w.apply(optimizer="adam", learning_rate=0.1)   # several inputs, one descent
        >>> w.optimizer, w.hyperparameters["b1"]
        ('adam', 0.9)
    """

    optimizer = _Required("sgd")
    learning_rate = traitlets.Float(0.01)
    hyperparameters = traitlets.Dict()
    steps = traitlets.Int(300)
    starts = _Required()
    lock = traitlets.Dict()
    map_dims = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(0, 1))
    view = traitlets.Enum(VIEWS, default_value="map")
    log_loss = traitlets.Bool(False)
    #: Show the learning-rate sweep panel (final loss at every rate of the slider).
    show_sweep = traitlets.Bool(False)
    #: Paint the map by the minimum a run from each point reaches (a map only).
    show_basins = traitlets.Bool(False)
    #: Draw the Hessian's axes at each start's current point (a map only).
    show_curvature = traitlets.Bool(False)
    frame = traitlets.Int(0)
    batch_size = traitlets.Int(0)
    seed = traitlets.Int(0)
    message = traitlets.Unicode("")

    def __init__(
        self,
        f: Callable[..., Any],
        argnums: int | Sequence[int] | None = None,
        start: Any = None,
        starts: Any = None,
        optimizer: str | optax.GradientTransformation = "sgd",
        learning_rate: float | None = None,
        steps: int | None = None,
        bounds: Any = None,
        *,
        lock: Mapping[str, float] | None = None,
        dims: Sequence[int | str] | None = None,
        view: str = "map",
        companion: Companion | None = None,
        display: Mapping[str, tuple[str, Callable[[Any], Any]]] | None = None,
        max_starts: int = DEFAULT_MAX_STARTS,
        tol: float = DEFAULT_TOLERANCE,
        batch_size: int | None = None,
        seed: int = 0,
        **fixed: Any,
    ) -> None:
        # Until the state is whole, the traits' own checks and reactions stand aside.
        self._applying = True
        self.scheduler = Scheduler(done=self._run_done, partial=self._run_partial,
                                   progress=self._show_progress, guard=self._guard)  # fmt: skip
        # A failed check must not leave the widgets made so far open (and registered).
        try:
            info = describe(f) if argnums is None and not fixed else None
            self._info = info
            self.objective = shared_objective(
                f, argnums, fixed=fixed, example=example_point(start, starts, info)
            )
            if (
                isinstance(max_starts, bool)
                or not isinstance(max_starts, int)
                or not (1 <= max_starts <= 64)
            ):
                raise ObjectiveError(
                    f"max_starts must be a whole number from 1 to 64, not {max_starts!r}"
                )
            self.max_starts = max_starts
            self.tolerance = float(tol)
            self.one_dimensional = self.objective.dim == 1
            self.data_names, self.data_rows = data_arguments(self.objective)
            self.display = DisplayTransforms(display, self.objective.names)
            if view not in VIEWS:
                raise ObjectiveError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
            if self.one_dimensional and view != "map":
                raise ObjectiveError(
                    f"{self.objective.name} has one parameter: its view is the curve (view='map')"
                )
            if self.one_dimensional and dims is not None:
                raise ObjectiveError(f"{self.objective.name} has one parameter: there are no dims")
            if companion is not None and not isinstance(companion, Companion):
                raise ObjectiveError(
                    "companion must be a Companion, e.g. Companion.histogram(data, curve)"
                )
            map_dims = (
                parse_dims(dims, self.objective.names, self.objective.name)
                if dims is not None
                else (0, 1)
            )
            initial = self._initial_starts(start, starts, info)
            self._gradient_seconds = _time_gradient(self.objective, initial[0])
            self.state = DescentState(
                self.objective,
                bounds=self._initial_bounds(bounds, info, initial, map_dims),
                starts=initial,
                map_dims=map_dims,
                bounds_for=self._bounds_for,
                max_starts=max_starts,
            )
            spec = resolve_optimizer(optimizer)
            defaults = spec.defaults()
            if learning_rate is None:
                # A teaching example's rate is gradient descent's; Newton's is a step size.
                learning_rate = (
                    info.learning_rate
                    if info is not None and info.learning_rate is not None and not spec.curvature
                    else defaults.get("learning_rate", 0.01)
                )  # fmt: skip
            if steps is None:
                steps = info.steps if info is not None and info.steps is not None else 300
            self.state.commit(self.state.propose(
                optimizer=optimizer, learning_rate=learning_rate, steps=steps, starts=initial,
                hyperparameters={k: v for k, v in defaults.items() if k != "learning_rate"},
                lock=dict(lock or {}), batch_size=0 if batch_size is None else batch_size,
                seed=seed,
            ))  # fmt: skip
            self.set_trait("view", view)
            self._build(companion, info)
            self._show_inputs()
            self._draw_landscape(find=info is None or not info.minima)
            self._connect()
            self._show_controls(frozenset(INPUT_NAMES))
            self._show_lock()
            self._show_starts()
            self._applying = False
            self._recompute()
            replace_earlier_runs(self)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ set-up
    def _initial_starts(self, start: Any, starts: Any, info: FunctionInfo | None) -> np.ndarray:
        if starts is not None:
            points = [self.objective.pack_example(s) for s in starts]
        else:
            if start is None and info is not None:
                start = info.start[0] if len(info.start) == 1 else info.start
            points = self.objective.pack_example(start)[None, :]
        return check_starts(points, self.objective.dim, self.max_starts)

    def _initial_bounds(self, bounds: Any, info: FunctionInfo | None, initial: np.ndarray,
                        dims: tuple[int, int]):  # fmt: skip
        if self.one_dimensional:
            if bounds is not None:
                pair = bounds[0] if np.ndim(bounds) == 2 else bounds
                return check_bounds([pair], 1)
            if info is not None:
                return tuple(info.bounds)
            center = float(initial[0, 0])
            return ((center - 3.0, center + 3.0),)
        if bounds is not None:
            return check_bounds(bounds, 2)
        if info is not None and len(info.bounds) == 2 and dims == (0, 1):
            return tuple(info.bounds)
        return self._bounds_for(dims, initial)

    def _bounds_for(self, dims: tuple[int, int], starts: np.ndarray):
        """The map's view for other parameters: the starts and the minima near them."""
        return suggest_bounds(self.objective, starts, dims=dims, search=self._minima_affordable())

    def _minima_affordable(self) -> bool:
        """Whether searching for minima takes seconds at most (not for a slow gradient).

        Un-jittable objectives are searched without gradients, at a bounded cost.
        """
        return not (self.objective.jittable and self._gradient_seconds > SLOW_GRADIENT)

    def _build(self, companion: Companion | None, info: FunctionInfo | None) -> None:
        """The panels, the stage that plays them, the controls, the status and the layout."""
        names, state = self.objective.names, self.state
        self.loss_view = LossPanel()
        self.slice_view: CurvePanel | None = None
        self.surface_panel: SurfacePanel | None = None
        if self.one_dimensional:
            self.map: MapPanel | CurvePanel = CurvePanel(
                names[0], state.bounds[0], draggable=True,
                y_label=f"{self.objective.name}({names[0]})",
            )  # fmt: skip
        else:
            self.map = MapPanel(self._map_labels(), state.bounds)
            self._label_map_ticks()
            # The robot's slice is made the first time an axis is locked (_slice_panel).
            self.surface_panel = SurfacePanel(self._map_labels(), on_made=self._surface_made)
        self.companion_view = (
            CompanionPanel(companion, self.objective) if companion is not None else None
        )
        panels = [self.map, self.loss_view, self.slice_view, self.companion_view,
                  self.surface_panel]  # fmt: skip
        self.stage = Stage([p for p in panels if p is not None])
        self.player = self.stage.player
        self.control_panel = ControlsPanel(names, self.data_rows if self.data_names else None)
        cp = self.control_panel
        # The parts a user touches, by their names.
        self.controls, self.sampling = cp.optimizer, cp.sampling
        self.log_toggle, self.remove_button, self.clear_button = (
            cp.log_toggle, cp.remove_button, cp.clear_button,
        )  # fmt: skip
        self.dim_x, self.dim_y, self.view_buttons = cp.dim_x, cp.dim_y, cp.view
        self.lock_axis = cp.lock_axis
        self.status_panel = StatusPanel()
        self.status_table, self.status_line = self.status_panel.table, self.status_panel.line
        self.family = LearningRateFamily(RateGrid.of_slider(self.controls.sliders["learning_rate"]))
        # The whole-family views: what they depend on, computed in the background.
        self.sweep_task = SweepTask(self.state, self.scheduler, self.family, self.objective,
                                    self.tolerance,
                                    lambda rate: self._request(learning_rate=rate))  # fmt: skip
        self.basins_task = BasinsTask(self.state, self.scheduler, self.objective,
                                      self.tolerance, self.map, self.player, info,
                                      self._gradient_seconds)  # fmt: skip
        self.title = ipywidgets.HTML(self._title_html(info), layout=layout(),
                                     style=style(ipywidgets.HTML))  # fmt: skip
        super().__init__(self._layout(), layout=layout(width="100%"))
        self.add_class("jgw-root")
        self.add_class("jgw-grad-descent")

    @property
    def lock_value(self) -> ipywidgets.FloatSlider | None:
        """The slider of where a locked axis is held (None for a function of one
        parameter); shown under the lock while an axis is locked."""
        return self.control_panel.lock_value

    @property
    def progress(self) -> float | None:
        """How far the descent under way is (0 to 1), as its bar shows; None when no
        slow descent is under way."""
        return self.status_panel.progress

    @property
    def surface(self) -> SurfaceView | None:
        """The 3-D surface view (a :class:`~.surface.SurfaceView`; None for a function of
        one parameter). Made on first use: a dashboard nobody turns to 3-D never sends
        its front end to the browser."""
        return self.surface_panel.view if self.surface_panel is not None else None

    def _surface_made(self, view: SurfaceView) -> None:
        """The surface view exists now: in its box, following the Player's frame."""
        self._surface_box = ipywidgets.Box(
            [view], layout=layout(flex="1 1 380px", max_width="600px")
        )
        traitlets.dlink((self.player, "frame"), (view, "frame"))

    def _map_labels(self) -> tuple[str, str]:
        return tuple(self.display.names[d] for d in self.state.inputs.map_dims)

    def _label_map_ticks(self) -> None:
        """Shown values on the map's ticks for a parameter with a display transform."""
        ticks = [self.display.ticks(dim, low, high)
                 for dim, (low, high) in zip(self.state.inputs.map_dims, self.state.bounds,
                                             strict=True)]  # fmt: skip
        self.map.label_ticks(ticks)

    def _title_html(self, info: FunctionInfo | None) -> str:
        formula = f" = {html.escape(info.formula)}" if info is not None and info.formula else ""
        args = ", ".join(self.objective.arg_names)
        return f'<div class="jgw-title"><b>{self.objective.name}</b>({args}){formula}</div>'

    def _plot_boxes(self) -> list[ipywidgets.Widget]:
        """The figures the current view shows, side by side (wrapping when narrow)."""
        boxes = []
        if self.view in ("map", "both"):
            boxes.append(self._map_box)
        if self.view in ("surface", "both"):
            self.surface_panel.view  # noqa: B018 - made (and put in its box) on first show
            boxes.append(self._surface_box)
        boxes.append(self.loss_view.figure)
        if self.companion_view is not None:
            boxes.append(self.companion_view.figure)
        if self.show_sweep and self.sweep_task.panel is not None:
            boxes.append(self.sweep_task.panel.figure)
        # The robot's slice, a row of its own under the others, only while an axis is
        # locked (a hidden bqplot figure would be laid out at zero size, with negative
        # plot areas).
        if self.slice_view is not None and self.state.locked is not None:
            boxes.append(self.slice_view.figure)
        return boxes

    def _layout(self) -> list[ipywidgets.Widget]:
        map_parts = [self.map.figure]
        if isinstance(self.map, MapPanel):
            map_parts.append(self.map.notes.widget)
        self._map_box = ipywidgets.Box(
            map_parts, layout=layout(flex="1 1 380px", max_width="560px", flex_flow="column"),
        )  # fmt: skip
        # The 3-D view's box is made with the view, when first shown (_surface_made).
        self._surface_box: ipywidgets.Box | None = None
        self.plots = ipywidgets.HBox(
            self._plot_boxes(), layout=layout(width="100%", flex_flow="row wrap")
        )
        heading: ipywidgets.Widget = self.title
        if self.view_buttons is not None:
            heading = ipywidgets.HBox(
                [self.title, self.view_buttons],
                layout=layout(width="100%", justify_content="space-between",
                              align_items="center", flex_flow="row wrap"),
            )  # fmt: skip
        return [heading, self.plots, self.player,
                self.control_panel.box, *self.status_panel.widgets()]  # fmt: skip

    def _draw_landscape(self, find: bool) -> None:
        """The map's shading, contours and minima (or the 1-D curve) for the current view."""
        base = self.state.effective_starts[0]
        if self.one_dimensional:
            xs, ys = curve_values(self.objective, self.state.bounds[0], CURVE_POINTS)
            self.map.set_curve(xs, ys)
            self.minima = np.empty((0, 1), np.float32)
            return
        info, dims = self._info, self.state.inputs.map_dims
        known = None
        if not find and info is not None and len(info.minima[0]) == self.objective.dim:
            known = info.minima
        self.grid = self.map.draw_landscape(self.objective, dims, base, minima=known,
                                            search=self._minima_affordable())  # fmt: skip
        self.minima = self.map.minimum_points
        self.surface_panel.set_grid(self.grid, self._map_labels())

    def _connect(self) -> None:
        cp = self.control_panel
        cp.on_optimizer = lambda name: self._request(optimizer=name)
        cp.on_hyperparameter = self._hyperparameter_moved
        cp.on_typed = self._value_typed
        cp.on_steps = lambda steps: self._request(steps=steps)
        cp.on_sampling = lambda size, seed: self._request(batch_size=size, seed=seed)
        cp.on_lock = self._lock_moved
        cp.on_dims = self._dims_moved
        cp.on_view = lambda view: self._guard(setattr, self, "view", view)
        cp.on_log = lambda log: self._guard(setattr, self, "log_loss", log)
        cp.on_sweep = lambda on: self._guard(setattr, self, "show_sweep", on)
        cp.on_basins = lambda on: self._guard(setattr, self, "show_basins", on)
        cp.on_curvature = lambda on: self._guard(setattr, self, "show_curvature", on)
        cp.on_remove = lambda: self._guard(self.remove_start)
        cp.on_clear = lambda: self._guard(self.clear_starts)
        self.map.connect(self._start_moved, self._starts_placed)
        traitlets.link((self.player, "frame"), (self, "frame"))

    # ------------------------------------------------------------------ inputs
    def apply(self, **changes: Any) -> None:
        """Change several inputs at once: one check of the whole, one descent.

        Any of ``optimizer``, ``learning_rate``, ``hyperparameters``, ``steps``,
        ``starts``, ``lock``, ``map_dims``, ``batch_size`` and ``seed``. A refused
        change raises a plain error and changes nothing.
        """
        self._apply(changes)

    def _apply(self, changes: Mapping[str, Any], origin: str = "") -> None:
        """Check ``changes`` as a whole, commit them, show them and compute once."""
        try:
            proposal = self.state.propose(**changes)
        except BaseException:
            self._show_inputs()  # a trait set from Python goes back to the state
            raise
        changed = self.state.commit(proposal)
        self._show_inputs()
        if changed:
            self._react(changed, origin)

    def _request(self, origin: str = "", **changes: Any) -> None:
        """A change asked for in the browser: refused ones are shown, not raised."""
        self._guard(self._apply, changes, origin)

    @traitlets.validate(*INPUT_NAMES)
    def _check_input(self, proposal: dict[str, Any]) -> Any:
        name = proposal["trait"].name
        if self._applying:
            return proposal["value"]  # the state's own values, already checked
        return self.state.check(name, proposal["value"], self._trait_inputs())

    @traitlets.observe(*INPUT_NAMES)
    def _input_changed(self, _change: dict[str, Any]) -> None:
        if self._applying:
            return
        # Several traits set at once (hold_trait_notifications) arrive one by one: the
        # first applies them all, the others find nothing left to do.
        current = self.state.inputs
        changed = self._trait_inputs().changed(current)
        if changed:
            self._apply({name: getattr(self, name) for name in changed})

    def _trait_inputs(self) -> Inputs:
        values = {name: getattr(self, name) for name in INPUT_NAMES}
        if self.one_dimensional:
            values["map_dims"] = self.state.inputs.map_dims
        return Inputs(**values)

    def _show_inputs(self) -> None:
        """The traits = the state (derived values included), without reacting to it."""
        self._applying, previous = True, self._applying
        try:
            inputs = self.state.inputs
            for name in INPUT_NAMES:
                value = getattr(inputs, name)
                if name in ("hyperparameters", "lock"):
                    value = dict(value)
                self.set_trait(name, value)
        finally:
            self._applying = previous

    def _react(self, changed: frozenset[str], origin: str = "") -> None:
        """Show a committed change and compute for it (or adopt a run held in the family)."""
        if "map_dims" in changed:
            self._show_dims()
        self._show_controls(changed)
        if changed & {"lock", "map_dims"}:
            self._show_lock()
        if changed & {"lock", "map_dims"} or ("starts" in changed and origin != "markers"):
            self._show_starts()
        if changed == {"learning_rate"}:
            run = self.family.lookup(self.state.key, self.learning_rate)
            if run is not None:
                self.scheduler.cancel()
                self._show_run(run, fast=True)
                self._say_computed(run, "held in the browser, from the learning-rate family")
                self._plan_panels()
                self._plan_family()
                return
        self._recompute()

    def _show_controls(self, changed: frozenset[str]) -> None:
        state, cp = self.state, self.control_panel
        if changed & {"optimizer", "learning_rate", "hyperparameters", "steps"}:
            self._show_optimizer()
        if changed & {"batch_size", "seed"}:
            cp.show_sampling(state.inputs.batch_size, state.inputs.seed)
            self.loss_view.set_label("minibatch loss" if state.inputs.batch_size else "loss")
        cp.show_log(self.log_loss)

    def _show_optimizer(self) -> None:
        """The optimizer's controls show the state's optimizer, values and steps."""
        inputs = self.state.inputs
        values = {"learning_rate": inputs.learning_rate, **inputs.hyperparameters}
        self.control_panel.show_optimizer(self.state.spec, values, inputs.steps)

    def _show_dims(self) -> None:
        """New map parameters: axes, view, ticks, landscape."""
        self.map.set_axes(self._map_labels(), self.state.bounds)
        self._label_map_ticks()
        self._draw_landscape(find=True)

    def _show_lock(self) -> None:
        """The lock's controls, its line on the map and the robot's slice panel."""
        if self.one_dimensional:
            return
        state = self.state
        locked, dims = state.locked, state.inputs.map_dims
        self.control_panel.show_axes(dims, locked, state.bounds, self.view)
        if locked is None:
            self.map.set_lock(None, 0.0)
            self.plots.children = self._plot_boxes()
            return
        index, value = locked
        side = state.map_side
        self.map.set_lock(side, value)
        title = f"{self.objective.name} with {self.objective.names[index]} = {value:.4g}"
        panel = self._slice_panel()
        panel.draw_slice(self.objective, state.bounds[1 - side], dims[1 - side],
                         state.effective_starts[0], title)  # fmt: skip
        panel.marks.color(len(state.effective_starts))
        self.plots.children = self._plot_boxes()

    def _slice_panel(self) -> CurvePanel:
        """The robot's slice, made the first time an axis is locked (a dashboard nobody
        locks never sends its figure); it joins the stage when it first draws."""
        if self.slice_view is None:
            state = self.state
            # Not a figure users are told to customise: a shared look.
            self.slice_view = CurvePanel(self.objective.names[state.inputs.map_dims[0]],
                                         state.bounds[0], name="slice", height=260,
                                         shared_layout=True)  # fmt: skip
        return self.slice_view

    def _show_starts(self) -> None:
        """Place the start markers from Python (as descent uses them)."""
        starts = self.state.effective_starts
        self.control_panel.show_start_count(len(starts))
        if self.one_dimensional:
            values = np.asarray([float(self.objective.value(s)) for s in starts])
            self.map.set_starts(starts[:, 0], values)
        else:
            self.map.set_starts(starts[:, list(self.state.inputs.map_dims)])
            if self.slice_view is not None:
                self.slice_view.marks.color(len(starts))

    # ------------------------------------------------------------------ browser input
    def _guard(self, action: Callable[..., Any], *args: Any) -> Any:
        """Run a callback; show a refused input or an internal error in the status line."""
        return shown_errors(self._show_message, action, *args)

    def _hyperparameter_moved(self, name: str, value: float) -> None:
        state = self.state
        if name not in {h.name for h in state.spec.hyperparameters}:
            return  # a hidden slider of another optimizer
        if name == "learning_rate":
            if value != state.inputs.learning_rate:
                self._request(learning_rate=value)
        elif value != state.inputs.hyperparameters.get(name):
            self._request(hyperparameters={**state.inputs.hyperparameters, name: value})

    def _value_typed(self, name: str, text: Any) -> None:
        """A value typed into a hyperparameter's box: kept exactly, or refused with a
        message; either way the box then shows the value in use."""
        h = next((h for h in self.state.spec.hyperparameters if h.name == name), None)
        try:
            if h is not None:
                value = parse_number(text, h.label)
                self._guard(self._hyperparameter_moved, name, h.check(value))
        except JaxGradError as error:
            self._show_message(str(error), is_error=True)
        self._show_optimizer()

    def _lock_moved(self, axis: int | None, value: Any) -> None:
        state = self.state
        lock = lock_from_controls(self.objective.names, state.inputs.map_dims, state.bounds,
                                  state.inputs.starts, state.locked, axis, value)  # fmt: skip
        if lock is not None and lock != state.inputs.lock:
            self._request(lock=lock)

    def _dims_moved(self, dims: tuple[int, int]) -> None:
        if dims[0] == dims[1]:
            self._show_message("the map needs two different parameters", is_error=True)
        elif dims != self.state.inputs.map_dims:
            self._request(map_dims=dims)

    def _marker_dims(self) -> list[int]:
        return [0] if self.one_dimensional else list(self.state.inputs.map_dims)

    def _start_moved(self, index: int, point: tuple[float, float]) -> None:
        """A start marker being dragged: recompute its path for the new position."""
        starts = dragged_starts(self.state.inputs.starts, index, point, self._marker_dims())
        if starts is not None:
            # The browser already shows the marker there (on a map).
            self._request(origin="markers", starts=starts)
            if self.one_dimensional:
                self._show_starts()  # back onto the curve

    def _starts_placed(self, points: list[tuple[float, float]]) -> None:
        """The start markers changed in the browser (a click added one, a drag ended)."""
        starts, refused = placed_starts(self.state.inputs.starts, points, self._marker_dims(),
                                        self.max_starts)  # fmt: skip
        if starts is not None:
            self._request(origin="markers", starts=starts)
        # The browser's markers must match what was accepted (clamped, capped, on the curve).
        self._show_starts()
        if refused:
            self._show_message(refused, is_error=True)

    # ------------------------------------------------------------------ presentation
    @traitlets.observe("view")
    def _view_changed(self, _change: dict[str, Any]) -> None:
        if self.one_dimensional or not hasattr(self, "plots"):
            return

        def apply() -> None:
            if self.view_buttons.value != self.view:
                with self.control_panel.showing():
                    self.view_buttons.value = self.view
            self.plots.children = self._plot_boxes()
            self._publish()

        self._guard(apply)

    @traitlets.observe("log_loss")
    def _log_changed(self, _change: dict[str, Any]) -> None:
        if hasattr(self, "loss_view"):
            self.control_panel.show_log(self.log_loss)
            self.loss_view.set_log(self.log_loss)
            self._guard(self._publish)

    @traitlets.observe("show_sweep")
    def _sweep_shown(self, _change: dict[str, Any]) -> None:
        if not hasattr(self, "plots"):
            return

        def apply() -> None:
            self._show_layers()
            self.sweep_task.show(self.show_sweep)
            self.plots.children = self._plot_boxes()

        self._guard(apply)

    @traitlets.observe("show_basins")
    def _basins_shown(self, _change: dict[str, Any]) -> None:
        if not hasattr(self, "plots"):
            return

        def apply() -> None:
            if self.show_basins and self.one_dimensional:
                self.set_trait("show_basins", False)
                raise ObjectiveError(f"basins need a map: {self.objective.name} has one parameter")
            self._show_layers()
            self.basins_task.show(self.show_basins)

        self._guard(apply)

    @traitlets.observe("show_curvature")
    def _curvature_shown(self, _change: dict[str, Any]) -> None:
        if not hasattr(self, "plots"):
            return

        def apply() -> None:
            refusal = self._curvature_refusal() if self.show_curvature else None
            if refusal is not None:
                self.set_trait("show_curvature", False)
                raise ObjectiveError(refusal)
            self._show_layers()
            if isinstance(self.map, MapPanel):
                self.map.show_curvature(self.show_curvature)
            # The family the browser holds was drawn without (or with) the axes.
            self.player.clear_family()
            self._publish(status=False)
            self._plan_family()

        self._guard(apply)

    def _show_layers(self) -> None:
        self.control_panel.show_layers(self.show_sweep, self.show_basins, self.show_curvature)

    def _curvature_refusal(self) -> str | None:
        """Why the curvature axes cannot be drawn for this function, or None."""
        name = self.objective.name
        if self.one_dimensional:
            return (f"curvature axes need a map: {name} has one parameter (its curve's "
                    "second derivative is in DerivativeWidget)")  # fmt: skip
        if not self.objective.jittable:
            return f"curvature axes need second derivatives JAX can compile; {name} runs op by op"
        if not self._minima_affordable():
            return (f"curvature axes need a Hessian at every step; {name}'s gradient takes "
                    f"{self._gradient_seconds * 1e3:.0f} ms, too slow for that")  # fmt: skip
        return None

    def _active_panels(self) -> list[Panel]:
        """The panels that draw the current run."""
        panels: list[Panel] = [self.map, self.loss_view]
        if self.slice_view is not None and self.state.locked is not None:
            panels.append(self.slice_view)
        if self.companion_view is not None:
            panels.append(self.companion_view)
        if self.surface_panel is not None and self.view in ("surface", "both"):
            panels.append(self.surface_panel)  # only a visible surface costs a message
        return panels

    def _view_of(self, run: Trajectories) -> RunView:
        state = self.state
        dims = None if self.one_dimensional else state.inputs.map_dims
        locked = state.locked
        # The Hessian's axes at every point of every path, when the map shows them.
        curvature = None
        if self.show_curvature and dims is not None:
            most = (None if self._gradient_seconds < CHEAP_GRADIENT
                    else int(CURVATURE_SECONDS / (2 * self._gradient_seconds)))  # fmt: skip
            curvature = curvature_along_paths(self.objective, run.params, dims, most)
        return RunView.of(run, dims, state.mask, None if locked is None else locked[0],
                          curvature)  # fmt: skip

    # ------------------------------------------------------------------ computing
    def _recompute(self, wait: bool = False) -> Trajectories | None:
        """Start computing the descent for the current inputs (superseding any other)."""
        state = self.state
        job = ChunkedRun(
            descent_for(self.objective, state.inputs.optimizer), state.effective_starts,
            state.inputs.steps, state.hyper_values, tol=self.tolerance, mask=state.mask,
            minibatch=state.minibatch,
        )  # fmt: skip
        return self.scheduler.start(job, wait=wait)

    def _run_done(self, run: Trajectories, fast: bool, seconds: float) -> None:
        self._show_run(run, fast)
        self._say_computed(run, f"computed in {seconds * 1e3:.1f} ms")
        self._plan_panels()
        self._plan_family()

    def _run_partial(self, run: Trajectories) -> None:
        self._show_run(run, fast=False)

    def _show_run(self, run: Trajectories, fast: bool) -> None:
        """Make ``run`` the shown result: the browser's frames, then the status rows.

        The Player's message goes first: the status rows may run more descents (the
        advice when a start diverges), which would hold the paths back by milliseconds.
        """
        self._run = run
        self._publish(status=False)
        self._rows = self._status_rows(run, advise=fast)
        self._publish_status()

    def _status_rows(self, run: Trajectories, advise: bool):
        state = self.state
        hint = ""
        # The advice runs more descents: only for objectives fast enough to afford it.
        if advise and (run.diverged_at >= 0).any() and state.spec.curvature == "newton":
            hint = self._singular_hint(run)
        elif advise and (run.diverged_at >= 0).any():
            rate = stable_learning_rate(self.objective, state.inputs.optimizer,
                                        state.effective_starts, state.inputs.steps,
                                        state.hyper_values, mask=state.mask)  # fmt: skip
            if rate is not None:
                hint = f"try a learning rate of {rate:.3g} or less"
        finals = [run.final_index(j) for j in range(run.n_starts)]
        if state.inputs.batch_size:
            # The records hold each step's minibatch loss; the status gives the whole data's.
            losses = [float(self.objective.value(run.params[j, i])) for j, i in enumerate(finals)]
        else:
            losses = [float(run.loss[j, i]) for j, i in enumerate(finals)]
        locked = state.locked
        lock = None
        if locked is not None:
            names = self.objective.names
            lock = (names[locked[0]], [n for i, n in enumerate(names) if i != locked[0]])
        # Where each converged start stopped (a minimum, or a saddle: Newton and a start
        # on a ridge find those too), and how fast it got there.
        # (A Hessian per converged start: only where gradients are cheap.)
        ends = [
            self._end_of_run(run.params[j, : finals[j] + 1])
            if run.converged_at[j] >= 0 and run.diverged_at[j] < 0
            and self._minima_affordable() else None
            for j in range(run.n_starts)
        ]  # fmt: skip
        return start_rows(run, losses=losses, mask=state.mask, hint=hint, lock=lock,
                          noisy=bool(state.inputs.batch_size), ends=ends)  # fmt: skip

    def _singular_hint(self, run: Trajectories) -> str:
        """Why Newton's method stopped: a singular Hessian where a start diverged."""
        for j in np.flatnonzero(run.diverged_at >= 0):
            point = run.params[j, run.final_index(int(j))]
            if singular_hessian(self.objective, point, self.state.mask):
                shown = ", ".join(f"{v:.3g}" for v in self.display.point(point))
                return (f"the Hessian is singular at ({shown}): Newton's step is undefined "
                        "there; saddle-free Newton is not")  # fmt: skip
        return ""

    def _end_of_run(self, path: np.ndarray) -> EndOfRun | None:
        """Where a converged run stopped, by kind; None when JAX cannot take the function's
        second derivatives (a custom gradient without forward mode, say)."""
        state = self.state
        try:
            return end_of_run(self.objective, path, state.inputs.optimizer, state.hyper_values,
                              mask=state.mask)  # fmt: skip
        except Exception:
            return None

    def _publish(self, status: bool = True) -> None:
        """Ship the current run to the browser (one Player load), then the status rows."""
        run = getattr(self, "_run", None)
        if run is None:
            return
        # The slider stands at the position nearest the learning rate: in the browser,
        # that position is the run, not the family's member there.
        position = self.family.grid.snapped(self.state.inputs.learning_rate)
        self.stage.load(self._view_of(run), self._active_panels(), key=self.state.key,
                        value=position)  # fmt: skip
        if status:
            self._publish_status()

    def _publish_status(self) -> None:
        shown = [row.shown(self.display.point(row.final_point)) for row in self._rows]
        self.status_panel.show_rows(shown, self.display.names)

    def _show_progress(self, job: ChunkedRun | None) -> None:
        if job is None:
            self.status_panel.show_progress(None)
            return
        self.status_panel.show_progress(job.progress)
        self._show_message(
            f"computing step {job.done - 1:,} of {job.total - 1:,} "
            f"({job.progress:.0%}); a new input starts over",
            is_error=False,
        )

    def _say_computed(self, run: Trajectories, how: str) -> None:
        state = self.state
        hyper = state.hyper_values
        lr = f", learning rate {hyper['learning_rate']:.4g}" if "learning_rate" in hyper else ""
        locked = state.locked
        held = f", {self.objective.names[locked[0]]} locked" if locked is not None else ""
        batch = f", minibatches of {state.inputs.batch_size:,}" if state.inputs.batch_size else ""
        plural = "s" if run.n_starts != 1 else ""
        self._show_message(f"{state.spec.label}{lr}, {state.inputs.steps} steps from "
                           f"{run.n_starts} start{plural}{held}{batch}: {how}",
                           is_error=False)  # fmt: skip

    def _show_message(self, message: str, is_error: bool) -> None:
        self.message = message
        self.status_panel.say(message, is_error)

    # ------------------------------------------------------------------ whole families
    def _plan_panels(self) -> None:
        """The sweep and the basins for the current inputs (see :mod:`.whole_families`)."""
        self.basins_task.plan()
        self.sweep_task.plan()

    def learning_rate_sweep(self, rates: Sequence[float] | None = None) -> Sweep:
        """Every start's descent at every learning rate of ``rates`` (by default the
        slider's own grid), in one compiled call; see :class:`~jaxgrad_widgets.engine.sweep.Sweep`.

        The default grid's sweep is kept until an input other than the learning rate
        changes (the sweep panel shows the same one).

        Example:
            >>> from jaxgrad_widgets.functions import goldfield
            >>> w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.5, -0.5)])
            >>> s = w.learning_rate_sweep()
            >>> s.rates.shape, s.final_loss.shape, s.stable_limit.round(3).tolist()
            ((601,), (2, 601), [0.178, 0.162])
        """
        self.scheduler.finish()
        return self.sweep_task.compute(rates)

    def basins(self, resolution: int = BASINS_RESOLUTION) -> Basins:
        """Every point of a ``resolution x resolution`` grid over the map, run as a start
        with the current optimizer, hyperparameters and steps (finals only, one compiled
        call), labelled by the minimum it reaches; see
        :class:`~jaxgrad_widgets.engine.basins.Basins`. Parameters off the map are held
        as the map holds them.

        Example:
            >>> from jaxgrad_widgets.functions import goldfield
            >>> w = GradDescentWidget(goldfield, learning_rate=0.05, steps=500)
            >>> b = w.basins(resolution=64)
            >>> b.labels.shape, b.minima.round(2).tolist()
            ((64, 64), [[-1.0, -1.0], [1.0, 1.0]])
        """
        if self.one_dimensional:
            raise ObjectiveError(f"basins need a map: {self.objective.name} has one parameter")
        self.scheduler.finish()
        return self.basins_task.compute(resolution)

    # ------------------------------------------------------------------ the family
    def _family_possible(self) -> bool:
        """A learning-rate family for the browser: a jitted objective whose learning rate
        the slider sets, in a kernel (a browser may show it)."""
        return (self.objective.jittable and self.state.spec.injectable
                and kernel_loop() is not None)  # fmt: skip

    def _plan_family(self) -> None:
        if self._family_possible():
            self.scheduler.later("family", self.send_family)

    def send_family(self) -> None:
        """Compute the runs at the learning-rate slider's positions around the current
        one (those not held yet, in one engine call) and hand them to the browser."""
        run = getattr(self, "_run", None)
        state = self.state
        if run is None or not state.spec.injectable:
            return
        family_panels = [p for p in self._active_panels() if p.family]
        grid = self.family.grid
        positions = self.family.window(grid.nearest(state.inputs.learning_rate),
                                       self.stage.member_bytes(family_panels),
                                       self.scheduler.cost)  # fmt: skip
        if not positions:
            self.player.clear_family()
            return
        members = self.family.members(state.key, positions, self._family_runs)
        views = [(value, self._view_of(member)) for value, member in members]
        self.stage.load_family(self.controls.sliders["learning_rate"], views, family_panels,
                               key=state.key)  # fmt: skip

    def _family_runs(self, rates: list[float]) -> list[Trajectories]:
        state = self.state
        family = descent_for(self.objective, state.inputs.optimizer).family(
            state.effective_starts, state.inputs.steps, state.hyper_values,
            vary="learning_rate", values=rates, tol=self.tolerance, mask=state.mask,
            minibatch=state.minibatch,
        )  # fmt: skip
        return [family.member(m) for m in range(len(rates))]

    # ------------------------------------------------------------------ public API
    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """The map's view ((xmin, xmax), (ymin, ymax)), or the 1-D curve's (xmin, xmax)."""
        return self.state.bounds

    @property
    def start(self) -> np.ndarray:
        """The first start point (shape ``(d,)``); setting it replaces all starts with one."""
        return self.starts[0].copy()

    @start.setter
    def start(self, value: Any) -> None:
        self.starts = self.objective.pack_example(value)[None, :]

    @property
    def trajectory(self) -> np.ndarray:
        """Every point of every path: ``(starts, steps + 1, parameters)``."""
        run = self.result
        return np.array(run.params) if run is not None else np.empty((0, 0, 0))

    @property
    def losses(self) -> np.ndarray:
        """The loss at every point: ``(starts, steps + 1)``."""
        run = self.result
        return np.array(run.loss) if run is not None else np.empty((0, 0))

    @property
    def result(self) -> Trajectories | None:
        """The full engine result (params, loss, grad, divergence and convergence steps)."""
        self.scheduler.finish()
        return getattr(self, "_run", None)

    @property
    def status(self) -> list[dict[str, object]]:
        """Per start: final point, loss, gradient norm, outcome and a hint when diverged."""
        self.scheduler.finish()
        return [row.as_dict() for row in getattr(self, "_rows", [])]

    @property
    def figure(self):
        """The map's (or the 1-D curve's) bqplot Figure, for customising."""
        return self.map.figure

    @property
    def loss_figure(self):
        """The loss plot's bqplot Figure."""
        return self.loss_view.figure

    def run(self) -> Trajectories:
        """Recompute now and play from the first step; returns the engine result."""
        result = self._recompute(wait=True)
        self.player.frame = 0
        self.player.play()
        return result

    def step(self) -> np.ndarray:
        """Pause and advance one step; returns the current point of every start."""
        self.player.pause()
        self.player.frame = min(self.player.frame + 1, self.player.n_frames - 1)
        return self.current_points()

    def reset(self) -> None:
        """Pause and go back to the start of every path."""
        self.player.pause()
        self.player.frame = 0

    def current_points(self) -> np.ndarray:
        """Each start's point at the current frame (the last finite one if diverged)."""
        run = self.result
        if run is None:
            return np.empty((0, self.objective.dim))
        index = [min(self.frame, run.final_index(j)) for j in range(run.n_starts)]
        return run.params[np.arange(run.n_starts), index].copy()

    def add_start(self, point: Any) -> None:
        """Add a start (up to ``max_starts``)."""
        new = self.objective.pack_example(point)[None, :]
        self.starts = np.concatenate([self.starts, new])

    def remove_start(self, index: int = -1) -> None:
        """Remove one start (the last by default); the only start cannot be removed."""
        if len(self.starts) == 1:
            raise ObjectiveError("this is the only start; drag it, or add another first")
        self.starts = np.delete(self.starts, index, axis=0)

    def clear_starts(self) -> None:
        """Keep only the first start."""
        self.starts = self.starts[:1]

    @traitlets.validate("frame")
    def _check_frame(self, proposal: dict[str, Any]) -> int:
        # Linked to the Player's frame: the same range, so both always agree.
        player = getattr(self, "player", None)
        last = max(player.n_frames - 1, 0) if player is not None else 0
        return int(min(max(proposal["value"], 0), last))

    def close(self) -> None:
        """Close the dashboard and every widget it made, shown or not (figures, controls)."""
        self.scheduler.cancel()
        # Every part's widgets, shown or not (a hidden slider, the log scale, the
        # slice figure); getattr: a constructor that failed part way closes what it made.
        owners = [self, *(getattr(self, name, None) for name in (
            "map", "loss_view", "slice_view", "companion_view", "surface_panel",
            "sweep_task", "control_panel", "status_panel", "stage"))]  # fmt: skip
        widgets = [*self.children, self.layout]
        for owner in owners:
            for value in vars(owner).values() if owner is not None else ():
                items = value if isinstance(value, list | tuple) else [value]
                widgets += [v for v in items if isinstance(v, ipywidgets.Widget) and v is not self]
        super().close()
        for widget in widgets:
            close_tree(widget)


def example_point(start: Any, starts: Any, info: FunctionInfo | None) -> Any:
    """One start point, from which the objective learns the arguments' shapes: ``start``,
    else the first of ``starts``, else a known function's own start (None: none given).

    Shared by the dashboards that take a start (GradDescentWidget, RaceWidget).

    Example:
        >>> from jaxgrad_widgets.functions import describe, goldfield
        >>> example_point(None, [(1.0, 2.0), (3.0, 4.0)], None), example_point(None, None,
        ...                                                                 describe(goldfield))
        ((1.0, 2.0), (0.1, 0.1))
    """
    if starts is not None and len(starts) == 0:
        raise ObjectiveError("starts is empty; give at least one start")
    if start is not None and starts is not None:
        raise ObjectiveError("give either start=(...) for one start or starts=[...], not both")
    example = start if start is not None else (starts[0] if starts is not None else None)
    if example is None and info is not None:
        # Known functions take scalars: a one-parameter start is its number.
        example = info.start[0] if len(info.start) == 1 else info.start
    return example


def _time_gradient(objective: Objective, point: np.ndarray) -> float:
    """Seconds one gradient of ``objective`` takes (compiled, after a first call; the
    quicker of two, as a busy machine only ever adds time)."""
    objective.grad(point).block_until_ready()
    times = []
    for _ in range(2):
        started = time.perf_counter()
        objective.grad(point).block_until_ready()
        times.append(time.perf_counter() - started)
    return min(times)
