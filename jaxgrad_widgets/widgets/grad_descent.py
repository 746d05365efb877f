"""GradDescentWidget: the interactive optimizer dashboard.

Python computes every step of every start once per input change (one compiled call)
and hands the frames to the Player, which plays them in the browser. Everything on
screen is also a trait or a method, so the widget can be scripted and tested headless.

A function of two or more parameters gets a contour map of two of them (the others
held for the map, still descending); a function of one parameter gets its curve
with the points rolling down it. ``lock={"y": 1.2}`` holds one map axis fixed: the
robot that can only move along the other, shown on a slice of the function.

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
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets
import numpy as np
import optax
import traitlets

from ..engine import (
    DEFAULT_TOLERANCE,
    MAX_SEED,
    ChunkedRun,
    Minibatch,
    Objective,
    ObjectiveError,
    Trajectories,
    check_bounds,
    check_steps,
    contour_paths,
    curve_values,
    data_arguments,
    default_levels,
    descent_for,
    find_minima,
    grid_values,
    resolve_optimizer,
    stable_learning_rate,
    suggest_bounds,
)
from ..engine.companion import frame_curves
from ..engine.minibatch import check_minibatch
from ..engine.optimizers import OPTIMIZERS
from ..engine.shared import shared_objective
from ..functions import FunctionInfo, describe
from .companion import Companion, CompanionFigure
from .controls import STEPS_RANGE, OptimizerControls, SamplingControls
from .display import DisplayTransforms
from .figures import CurveFigure, LossFigure, MapFigure
from .inputs import clamp_value, drag_event, marker_points
from .lifecycle import close_tree, kernel_loop, replace_earlier_runs
from .palette import start_color
from .player import Player
from .status import StartStatus, shown_errors, status_line_html, status_table_html
from .surface import SurfaceView

#: Largest number of starts the map offers (clicks beyond it are refused).
DEFAULT_MAX_STARTS = 16
#: The controls' label width, shared with the optimizer controls.
_WIDE = {"description_width": "110px"}
#: What the dashboard shows of a function of two or more parameters.
VIEWS = ("map", "surface", "both")
#: Seconds of computation per turn of the kernel's event loop: a slow objective's
#: descent runs in chunks of about this long, so the kernel still answers the browser.
COMPUTE_BUDGET = 0.08
#: Seconds left free between two chunks: handling one kernel message takes several turns
#: of the event loop, and a chunk in every turn would delay it by several chunks.
COMPUTE_GAP = 0.02
#: While a slow descent runs, its partial paths are shown at most this often (seconds).
PARTIAL_EVERY = 0.5
#: A gradient slower than this (seconds) is too slow to search for minima: the search
#: takes about 1,600 gradients (a few hundred Adam steps from a few candidates).
SLOW_GRADIENT = 0.01


def _shade(values: np.ndarray) -> np.ndarray:
    """Heights -> [0, 1] by rank, so the colours resolve the valleys, not just the walls."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.ones_like(values)
    knots = np.quantile(finite, np.linspace(0, 1, 65))
    shade = np.interp(values, knots, np.linspace(0, 1, 65)).astype(np.float32)
    shade[~np.isfinite(values)] = 1.0
    return shade


class _Required(traitlets.Any):
    """Any value but None (traitlets.Any lets None past the validators)."""

    allow_none = False

    def validate(self, obj: Any, value: Any) -> Any:
        if value is None:
            raise ObjectiveError(f"{self.name} cannot be None")
        return value


def _as_points(value: Any, dim: int) -> np.ndarray:
    try:
        points = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ObjectiveError(f"starts must be numbers, not {value!r}") from None
    if points.ndim <= 1 and points.size == dim:
        points = points.reshape(1, dim)
    if points.ndim != 2 or points.shape[1] != dim:
        raise ObjectiveError(
            f"starts must have shape (number of starts, {dim}), got {np.shape(points)}"
        )
    if not np.isfinite(points).all():
        raise ObjectiveError("starts must be finite numbers (no NaN or infinity)")
    return points


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
        'diverged at step 5'
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
        # A failed check must not leave the widgets made so far open (and registered).
        try:
            info = describe(f) if argnums is None and not fixed else None
            if start is not None and starts is not None:
                raise ObjectiveError(
                    "give either start=(...) for one start or starts=[...], not both"
                )
            if starts is not None and len(starts) == 0:
                raise ObjectiveError("starts is empty; give at least one start")
            example = start if start is not None else (starts[0] if starts is not None else None)
            if example is None and info is not None:
                # Known functions take scalars: a one-parameter start is its number.
                example = info.start[0] if len(info.start) == 1 else info.start
            self.objective = shared_objective(f, argnums, fixed=fixed, example=example)
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
            self._pushing_starts = False
            self._pushing_lock = False
            self._run: Trajectories | None = None
            self._job: ChunkedRun | None = None  # a slow descent still being computed
            self._job_started = 0.0
            self._partial_shown = 0.0
            self.data_names, self.data_rows = data_arguments(self.objective)
            self._rows: list[StartStatus] = []
            self._info = info
            self.display = DisplayTransforms(display, self.objective.names)
            names = self.objective.names
            if not self.one_dimensional:
                self.set_trait("map_dims", self._parse_dims(dims))
            elif dims is not None:
                raise ObjectiveError(f"{self.objective.name} has one parameter: there are no dims")
            if view not in VIEWS:
                raise ObjectiveError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
            if self.one_dimensional and view != "map":
                raise ObjectiveError(
                    f"{self.objective.name} has one parameter: its view is the curve (view='map')"
                )
            self.set_trait("view", view)
            self._surface_stale = True

            initial = self._initial_starts(start, starts, info)
            self._gradient_seconds = _time_gradient(self.objective, initial[0])
            self.bounds = self._initial_bounds(bounds, info, initial)

            # The view: figures, controls, the Player, status.
            self.loss_view = LossFigure(max_starts)
            if self.one_dimensional:
                self.map = CurveFigure(names[0], self.bounds[0], max_starts, draggable=True,
                                       y_label=f"{self.objective.name}({names[0]})")  # fmt: skip
                self.slice_view = None
                self.surface = None
            else:
                self.map = MapFigure(self._map_labels(), self.bounds, max_starts)
                self._label_map_ticks()
                self.slice_view = CurveFigure(names[self.map_dims[0]], self.bounds[0], max_starts,
                                              name="slice", height="260px")  # fmt: skip
                self.surface = SurfaceView(labels=[*self._map_labels(), "loss"])
            if companion is not None and not isinstance(companion, Companion):
                raise ObjectiveError(
                    "companion must be a Companion, e.g. Companion.histogram(data, curve)"
                )
            self.companion_view = (
                CompanionFigure(companion, max_starts) if companion is not None else None
            )
            views = (self.map, self.loss_view, self.slice_view, self.companion_view)
            self._views = [v for v in views if v is not None]
            marks = [m for v in self._views for m in v.player_marks()]
            # The surface is the Player's last target: a "frame" track moves its paths.
            self._surface_target = len(marks)
            self.player = Player(targets=marks + ([self.surface] if self.surface else []))
            self.controls = OptimizerControls()
            self.sampling = SamplingControls(self.data_rows) if self.data_names else None
            self.progress = ipywidgets.FloatProgress(
                value=0.0, min=0.0, max=1.0, description="computing",
                layout=ipywidgets.Layout(width="100%", max_width="460px", display="none"),
            )  # fmt: skip
            self.progress.add_class("jgw-progress")
            self.log_toggle = ipywidgets.ToggleButton(
                value=False, description="log loss", tooltip="loss on a log scale",
                icon="line-chart", layout=ipywidgets.Layout(width="auto"),
            )  # fmt: skip
            self.remove_button = ipywidgets.Button(
                description="remove last start",
                icon="minus",
                layout=ipywidgets.Layout(width="auto"),
            )
            self.clear_button = ipywidgets.Button(
                description="clear starts", icon="times", layout=ipywidgets.Layout(width="auto")
            )
            self.axis_controls = self._make_axis_controls()
            self.held = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%"))
            self.status_table = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%"))
            self.status_line = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%"))
            self.title = ipywidgets.HTML(self._title_html(info))
            super().__init__(self._layout(), layout=ipywidgets.Layout(width="100%"))
            self.add_class("jgw-root")
            self.add_class("jgw-grad-descent")

            spec = resolve_optimizer(optimizer)
            defaults = spec.defaults()
            if learning_rate is None:
                learning_rate = (
                    info.learning_rate if info is not None and info.learning_rate is not None
                    else defaults.get("learning_rate", 0.01)
                )  # fmt: skip
            if steps is None:
                steps = info.steps if info is not None and info.steps is not None else 300
            with self.hold_trait_notifications():
                self.optimizer = optimizer
                self.learning_rate = learning_rate
                self.hyperparameters = {k: v for k, v in defaults.items() if k != "learning_rate"}
                self.steps = steps
                self.lock = dict(lock or {})
                self.starts = initial
                self.batch_size = 0 if batch_size is None else batch_size
                self.seed = seed
            self._draw_landscape(find=info is None or not info.minima)
            self._connect()
            self._sync_controls()
            self._show_lock()
            self._show_starts()
            self._recompute()
            replace_earlier_runs(self)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ set-up
    def _parse_dims(self, dims: Sequence[int | str] | None) -> tuple[int, int]:
        names = self.objective.names
        if dims is None:
            return (0, 1)
        if isinstance(dims, str) or len(dims) != 2:
            raise ObjectiveError(f"dims must name two parameters, such as {names[:2]}")
        chosen = []
        for d in dims:
            if isinstance(d, str):
                if d not in names:
                    raise ObjectiveError(
                        f"'{d}' is not a parameter of {self.objective.name}; choose from: "
                        f"{', '.join(names)}"
                    )
                chosen.append(names.index(d))
            elif (
                isinstance(d, int | np.integer) and not isinstance(d, bool) and 0 <= d < len(names)
            ):
                chosen.append(int(d))
            else:
                raise ObjectiveError(f"dims entry {d!r} is not a parameter name or position")
        if chosen[0] == chosen[1]:
            raise ObjectiveError("dims must be two different parameters")
        return chosen[0], chosen[1]

    def _initial_starts(self, start: Any, starts: Any, info: FunctionInfo | None) -> np.ndarray:
        if starts is not None:
            if len(starts) == 0:
                raise ObjectiveError("starts is empty; give at least one start")
            return self._validate_starts([self.objective.pack_example(s) for s in starts])
        if start is None and info is not None:
            start = info.start[0] if len(info.start) == 1 else info.start
        return self._validate_starts(self.objective.pack_example(start)[None, :])

    def _initial_bounds(self, bounds: Any, info: FunctionInfo | None, initial: np.ndarray):
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
        if info is not None and len(info.bounds) == 2 and self.map_dims == (0, 1):
            return tuple(info.bounds)
        return suggest_bounds(self.objective, initial, dims=self.map_dims,
                              search=self._minima_affordable())  # fmt: skip

    def _minima_affordable(self) -> bool:
        """Whether searching for minima takes seconds at most (not for a slow gradient).

        Un-jittable objectives are searched without gradients, at a bounded cost.
        """
        return not (self.objective.jittable and self._gradient_seconds > SLOW_GRADIENT)

    def _map_labels(self) -> tuple[str, str]:
        return tuple(self.display.names[d] for d in self.map_dims)

    def _label_map_ticks(self) -> None:
        """Shown values on the map's ticks for a parameter with a display transform."""
        for axis, dim, (low, high) in zip(
            (self.map.x_axis, self.map.y_axis), self.map_dims, self.bounds, strict=True
        ):
            positions, labels = self.display.ticks(dim, low, high)
            axis.tick_values = np.asarray(positions, np.float64) if positions else None
            axis.tick_labels = labels or None

    def _title_html(self, info: FunctionInfo | None) -> str:
        formula = f" = {html.escape(info.formula)}" if info is not None and info.formula else ""
        args = ", ".join(self.objective.arg_names)
        return f'<div class="jgw-title"><b>{self.objective.name}</b>({args}){formula}</div>'

    def _make_axis_controls(self) -> ipywidgets.VBox:
        """Lock an axis (the robot) and, beyond two parameters, choose the map's axes."""
        if self.one_dimensional:
            return ipywidgets.VBox([])
        names = self.objective.names
        options = [(n, i) for i, n in enumerate(names)]
        self.dim_x = ipywidgets.Dropdown(options=options, value=self.map_dims[0],
                                         description="map x", style=_WIDE)  # fmt: skip
        self.dim_y = ipywidgets.Dropdown(options=options, value=self.map_dims[1],
                                         description="map y", style=_WIDE)  # fmt: skip
        self.lock_axis = ipywidgets.Dropdown(description="lock", style=_WIDE)
        self.lock_value = ipywidgets.FloatSlider(description="at", style=_WIDE, step=0.01,
                                                 continuous_update=True)  # fmt: skip
        self.view_buttons = ipywidgets.ToggleButtons(
            options=[("map", "map"), ("3-D surface", "surface"), ("both", "both")],
            value=self.view, description="view", style={**_WIDE, "button_width": "90px"},
        )  # fmt: skip
        children = [self.view_buttons, self.lock_axis, self.lock_value]
        if len(names) > 2:
            children = [self.dim_x, self.dim_y, *children]
        return ipywidgets.VBox(children, layout=ipywidgets.Layout(flex="1 1 300px"))

    def _plot_boxes(self) -> list[ipywidgets.Widget]:
        """The figures the current view shows, side by side (wrapping when narrow)."""
        boxes = []
        if self.view in ("map", "both"):
            boxes.append(self._map_box)
        if self.view in ("surface", "both"):
            boxes.append(self._surface_box)
        boxes.append(self._loss_box)
        if self.companion_view is not None:
            boxes.append(self._companion_box)
        return boxes

    def _layout(self) -> list[ipywidgets.Widget]:
        wide = ipywidgets.Layout(flex="1 1 380px", max_width="560px")
        self._map_box = ipywidgets.Box([self.map.figure], layout=wide)
        self._surface_box = ipywidgets.Box(
            [self.surface] if self.surface else [],
            layout=ipywidgets.Layout(flex="1 1 380px", max_width="600px"),
        )
        self._loss_box = ipywidgets.Box(
            [self.loss_view.figure], layout=ipywidgets.Layout(flex="1 1 300px")
        )
        self._companion_box = ipywidgets.Box(
            [self.companion_view.figure] if self.companion_view else [],
            layout=ipywidgets.Layout(flex="1 1 300px"),
        )
        self.plots = ipywidgets.HBox(
            self._plot_boxes(), layout=ipywidgets.Layout(width="100%", flex_flow="row wrap")
        )
        plots = self.plots
        buttons = ipywidgets.VBox(
            [self.log_toggle, self.remove_button, self.clear_button],
            layout=ipywidgets.Layout(flex="0 0 auto", align_items="flex-start"),
        )
        optimizer_column = self.controls
        if self.sampling is not None:
            # In a column, the controls' flex basis would be a height: they take their own.
            self.controls.layout.flex = "0 0 auto"
            optimizer_column = ipywidgets.VBox(
                [self.controls, self.sampling],
                layout=ipywidgets.Layout(flex="1 1 320px", min_width="280px"),
            )
        controls = ipywidgets.HBox(
            [optimizer_column, self.axis_controls, buttons],
            layout=ipywidgets.Layout(width="100%", flex_flow="row wrap"),
        )
        # The robot's slice is in the layout only while an axis is locked (a hidden bqplot
        # figure would be laid out at zero size, with negative plot areas).
        self._slice_box = ipywidgets.Box([], layout=ipywidgets.Layout(width="100%"))
        rows = [self.title, plots, self._slice_box]
        return [*rows, self.player, controls, self.held, self.status_table, self.progress,
                self.status_line]  # fmt: skip

    def _draw_landscape(self, find: bool) -> None:
        """The map's shading, contours and minima (or the 1-D curve) for the current view."""
        base = self._effective_starts()[0]
        if self.one_dimensional:
            xs, ys = curve_values(self.objective, self.bounds[0], 400)
            self.map.set_curve(xs, ys)
            self.minima = np.empty((0, 1), np.float32)
            return
        dims = self.map_dims
        grid = grid_values(self.objective, self.bounds, 120, dims=dims, base=base)
        contour_x, contour_y = contour_paths(grid, default_levels(grid.values))
        self.map.set_landscape(grid.xs, grid.ys, _shade(grid.values), contour_x, contour_y)
        self._grid = grid
        self._surface_stale = True
        info = self._info
        if not find and info is not None and len(info.minima[0]) == self.objective.dim:
            minima = np.asarray(info.minima, np.float32)[:, list(dims)]
        elif not self._minima_affordable():
            minima = np.empty((0, 2), np.float32)
        else:
            found = find_minima(self.objective, self.bounds, dims=dims, grid=grid)
            minima = np.asarray([m.point[list(dims)] for m in found], np.float32)
        self.minima = minima.reshape(-1, 2)
        self.map.set_minima(self.minima)
        held = [i for i in range(self.objective.dim) if i not in dims]
        if held:
            values = ", ".join(f"{self.objective.names[i]} = {base[i]:.4g}" for i in held)
            self.held.value = (
                f'<div class="jgw-held">map drawn with {html.escape(values)} held at the first '
                "start's values; descent moves every parameter</div>"
            )

    def _connect(self) -> None:
        c = self.controls
        c.optimizer.observe(self._on_optimizer_control, names="value")
        for name, slider in c.sliders.items():
            slider.observe(self._make_slider_handler(name), names="value")
        c.steps.observe(self._on_steps_control, names="value")
        if self.sampling is not None:
            self.sampling.batch.observe(self._on_sampling_control, names="value")
            self.sampling.seed.observe(self._on_sampling_control, names="value")
        self.log_toggle.observe(
            lambda change: self._guard(setattr, self, "log_loss", bool(change["new"])),
            names="value",
        )
        self.remove_button.on_click(lambda _: self._guard(self.remove_start))
        self.clear_button.on_click(lambda _: self._guard(self.clear_starts))
        self.map.starts.on_drag(self._on_drag)
        self.map.starts.on_drag_end(self._on_drag)
        self.map.starts.observe(self._on_starts_mark, names=["x", "y"])
        if not self.one_dimensional:
            self.lock_axis.observe(self._on_lock_control, names="value")
            self.lock_value.observe(self._on_lock_control, names="value")
            self.dim_x.observe(self._on_dims_control, names="value")
            self.dim_y.observe(self._on_dims_control, names="value")
            self.view_buttons.observe(self._on_view_control, names="value")
            traitlets.dlink((self.player, "frame"), (self.surface, "frame"))
            self.observe(self._on_view, names="view")
        traitlets.link((self.player, "frame"), (self, "frame"))
        self.observe(self._on_inputs, names=["optimizer", "learning_rate", "hyperparameters",
                                             "steps", "starts", "lock", "batch_size",
                                             "seed"])  # fmt: skip
        self.observe(self._on_map_dims, names="map_dims")
        self.observe(lambda change: self._guard(self._publish), names="log_loss")

    # ------------------------------------------------------------------ validation
    @traitlets.validate("optimizer")
    def _check_optimizer(self, proposal: dict[str, Any]) -> Any:
        value = proposal["value"]
        spec = resolve_optimizer(value)
        return spec.name if spec.name in OPTIMIZERS else value

    @traitlets.validate("learning_rate")
    def _check_learning_rate(self, proposal: dict[str, Any]) -> float:
        return OPTIMIZERS["sgd"].hyperparameter("learning_rate").check(proposal["value"])

    @traitlets.validate("hyperparameters")
    def _check_hyperparameters(self, proposal: dict[str, Any]) -> dict[str, float]:
        checked = {}
        known = {h.name: h for spec in OPTIMIZERS.values() for h in spec.hyperparameters}
        for name, value in proposal["value"].items():
            if name == "learning_rate":
                raise ObjectiveError("set the learning rate with w.learning_rate, not here")
            if name not in known:
                raise ObjectiveError(
                    f"unknown hyperparameter '{name}'; known ones are: {', '.join(sorted(known))}"
                )
            checked[name] = known[name].check(value)
        return checked

    @traitlets.validate("steps")
    def _check_steps(self, proposal: dict[str, Any]) -> int:
        return check_steps(proposal["value"])

    @traitlets.validate("batch_size")
    def _check_batch_size(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if value == 0:
            return 0
        if not self.data_names:
            raise ObjectiveError(
                f"minibatches need the data bound as a keyword argument of "
                f"{self.objective.name} (for example data=samples)"
            )
        # The engine checks the size against the data and explains a bad one; a
        # minibatch of all the rows is the full gradient.
        return 0 if check_minibatch(self.objective, Minibatch(value)) is None else int(value)

    @traitlets.validate("seed")
    def _check_seed(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if not 0 <= value <= MAX_SEED:
            raise ObjectiveError(f"seed={value} must be between 0 and {MAX_SEED:,}")
        return value

    @traitlets.validate("frame")
    def _check_frame(self, proposal: dict[str, Any]) -> int:
        # Linked to the Player's frame: the same range, so both always agree.
        return int(min(max(proposal["value"], 0), max(self.player.n_frames - 1, 0)))

    @traitlets.validate("starts")
    def _check_starts(self, proposal: dict[str, Any]) -> np.ndarray:
        return self._validate_starts(proposal["value"])

    def _validate_starts(self, value: Any) -> np.ndarray:
        points = _as_points(value, self.objective.dim)
        if len(points) == 0:
            raise ObjectiveError("give at least one start")
        if len(points) > self.max_starts:
            raise ObjectiveError(
                f"{len(points)} starts is more than this widget's maximum of {self.max_starts}"
            )
        return points

    @traitlets.validate("lock")
    def _check_lock(self, proposal: dict[str, Any]) -> dict[str, float]:
        lock = dict(proposal["value"])
        if not lock:
            return {}
        names = self.objective.names
        if self.one_dimensional:
            raise ObjectiveError(f"{self.objective.name} has one parameter: nothing to lock")
        if len(lock) != 1:
            raise ObjectiveError("lock one axis at a time, e.g. lock={'y': 1.2}")
        ((name, value),) = lock.items()
        mapped = [names[d] for d in self.map_dims]
        if name not in mapped:
            raise ObjectiveError(
                f"lock must name one of the map's axes ({', '.join(mapped)}), not {name!r}"
            )
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ObjectiveError(f"the locked value of {name} must be a number") from None
        if not np.isfinite(value):
            raise ObjectiveError(f"the locked value of {name} must be finite")
        return {name: value}

    @traitlets.validate("map_dims")
    def _check_map_dims(self, proposal: dict[str, Any]) -> tuple[int, int]:
        return self._parse_dims(proposal["value"])

    # ------------------------------------------------------------------ lock
    def _locked(self) -> tuple[int, float] | None:
        """(parameter index, value) of the locked axis, or None."""
        if not self.lock:
            return None
        ((name, value),) = self.lock.items()
        return self.objective.names.index(name), value

    def _effective_starts(self) -> np.ndarray:
        """The starts as descent uses them: a locked coordinate sits at its value."""
        starts = np.array(self.starts, dtype=np.float32)
        locked = self._locked()
        if locked is not None:
            starts[:, locked[0]] = locked[1]
        return starts

    def _mask(self) -> np.ndarray | None:
        locked = self._locked()
        if locked is None:
            return None
        mask = np.ones(self.objective.dim, np.float32)
        mask[locked[0]] = 0.0
        return mask

    def _show_lock(self) -> None:
        """Lock controls, the locked line on the map and the robot's slice panel."""
        if self.one_dimensional:
            return
        # The controls' own observers must not read the half-updated controls back.
        self._pushing_lock = True
        try:
            self._show_lock_now()
        finally:
            self._pushing_lock = False

    def _show_lock_now(self) -> None:
        names = self.objective.names
        dx, dy = self.map_dims
        options = [("none", -1), (f"{names[dx]} (move along {names[dy]})", dx),
                   (f"{names[dy]} (move along {names[dx]})", dy)]  # fmt: skip
        if list(self.lock_axis.options) != options:
            self.lock_axis.options = options
        locked = self._locked()
        axis = -1 if locked is None else locked[0]
        if self.lock_axis.value != axis:
            self.lock_axis.value = axis
        self.lock_value.disabled = locked is None
        if locked is None:
            self.map.set_lock(None, 0.0)
            self._slice_box.children = []
            return
        index, value = locked
        side = 0 if index == dx else 1
        low, high = self.bounds[side]
        with self.lock_value.hold_trait_notifications():
            self.lock_value.min, self.lock_value.max = min(low, value), max(high, value)
            self.lock_value.value = value
        self.map.set_lock(side, value)
        free = dy if index == dx else dx
        free_side = 1 - side
        base = self._effective_starts()[0]
        xs, ys = curve_values(self.objective, self.bounds[free_side], 400, dim=free, base=base)
        self.slice_view.bounds = tuple(self.bounds[free_side])
        self.slice_view.x_scale.min, self.slice_view.x_scale.max = self.bounds[free_side]
        self.slice_view.x_axis.label = names[free]
        label = f"{self.objective.name} with {names[index]} = {value:.4g}"
        self.slice_view.set_curve(xs, ys, label=label)
        self._slice_box.children = [self.slice_view.figure]

    def _on_lock_control(self, _change: dict[str, Any]) -> None:
        if self._pushing_lock:
            return
        axis = self.lock_axis.value
        if axis is None or axis < 0:
            if self.lock:
                self._guard(setattr, self, "lock", {})
            return
        side = 0 if axis == self.map_dims[0] else 1
        low, high = self.bounds[side]
        previous = self._locked()
        if previous is None or previous[0] != axis:
            value = float(np.clip(self.starts[0, axis], low, high))  # lock where the start is
        else:
            # The map's range, widened to a lock set outside it from Python (never the
            # slider's own min and max, which the browser could change).
            current = previous[1]
            value = clamp_value(self.lock_value.value, min(low, current), max(high, current))
            if value is None:
                return
        lock = {self.objective.names[axis]: value}
        if lock != self.lock:
            self._guard(setattr, self, "lock", lock)

    # ------------------------------------------------------------------ view
    def _on_view_control(self, change: dict[str, Any]) -> None:
        if change["new"] in VIEWS and change["new"] != self.view:
            self._guard(setattr, self, "view", change["new"])

    def _on_view(self, _change: dict[str, Any]) -> None:
        def apply() -> None:
            if self.view_buttons.value != self.view:
                self.view_buttons.value = self.view
            self.plots.children = self._plot_boxes()
            self._publish()

        self._guard(apply)

    def _surface_shown(self) -> bool:
        return self.surface is not None and self.view in ("surface", "both")

    def _surface_frames(self, run: Trajectories, lengths: Sequence[int]):
        """Send the surface its landscape (when stale) and paths; its Player track."""
        if self._surface_stale:
            grid = self._grid
            self.surface.labels = [*self._map_labels(), "loss"]
            self.surface.set_landscape(grid.xs, grid.ys, grid.values)
            self._surface_stale = False
        dx, dy = self.map_dims
        self.surface.set_paths(run.params[:, :, [dx, dy]], run.loss, lengths)
        return [{"target": self._surface_target, "kind": "frame"}]

    # ------------------------------------------------------------------ dims
    def _on_dims_control(self, _change: dict[str, Any]) -> None:
        dims = (self.dim_x.value, self.dim_y.value)
        if dims[0] == dims[1]:
            self._show_message("the map needs two different parameters", is_error=True)
            return
        if dims != self.map_dims:
            self._guard(setattr, self, "map_dims", dims)

    def _on_map_dims(self, _change: dict[str, Any]) -> None:
        def apply() -> None:
            if self.lock and self._locked()[0] not in self.map_dims:
                self.lock = {}
            self.bounds = suggest_bounds(self.objective, self._effective_starts(),
                                         dims=self.map_dims,
                                         search=self._minima_affordable())  # fmt: skip
            self.map.set_axes(self._map_labels(), self.bounds)
            self._label_map_ticks()
            self.dim_x.value, self.dim_y.value = self.map_dims
            self._draw_landscape(find=True)
            self._show_lock()
            self._show_starts()
            self._recompute()

        self._guard(apply)

    # ------------------------------------------------------------------ browser input
    def _guard(self, action: Callable[..., Any], *args: Any) -> Any:
        """Run a callback; show a refused input or an internal error in the status line."""
        return shown_errors(self._show_message, action, *args)

    def _on_optimizer_control(self, change: dict[str, Any]) -> None:
        name = change["new"]
        if name in OPTIMIZERS and name != self.optimizer:
            self._guard(setattr, self, "optimizer", name)

    def _make_slider_handler(self, name: str) -> Callable[[dict[str, Any]], None]:
        def handle(change: dict[str, Any]) -> None:
            spec = resolve_optimizer(self.optimizer)
            h = next((h for h in spec.hyperparameters if h.name == name), None)
            if h is None:
                return
            value = h.clamp(change["new"])
            if self.controls.is_echo(name, value):
                return
            if name == "learning_rate":
                if value != self.learning_rate:
                    self._guard(setattr, self, "learning_rate", value)
            elif value != self.hyperparameters.get(name):
                self._guard(setattr, self, "hyperparameters", {**self.hyperparameters, name: value})

        return handle

    def _on_steps_control(self, change: dict[str, Any]) -> None:
        value = clamp_value(change["new"], *STEPS_RANGE)
        # Python may ask for more steps than the slider shows: its maximum is then an echo.
        shown = min(max(self.steps, STEPS_RANGE[0]), STEPS_RANGE[1])
        if value is not None and int(value) != shown:
            self._guard(setattr, self, "steps", int(value))

    def _on_sampling_control(self, _change: dict[str, Any]) -> None:
        batch, seed = self.sampling.batch.value, self.sampling.seed.value
        if (batch, seed) != (self.batch_size, self.seed):

            def apply() -> None:
                with self.hold_trait_notifications():
                    self.batch_size, self.seed = batch, seed

            self._guard(apply)

    def _show_sampling(self) -> None:
        if self.sampling is not None:
            self.sampling.show(self.batch_size, self.seed)
        self.loss_view.y_axis.label = "minibatch loss" if self.batch_size else "loss"

    def _marker_bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where start markers may go: the map, or the curve's x range (any y)."""
        if self.one_dimensional:
            return (self.bounds[0], (-np.inf, np.inf))
        return tuple(self.bounds)

    def _marker_dims(self) -> tuple[int, ...]:
        return (0,) if self.one_dimensional else self.map_dims

    def _on_drag(self, _mark: Any, event: Any) -> None:
        """A start marker being dragged: recompute its path for the new position."""
        parsed = drag_event(event, len(self.starts), self._marker_bounds())
        if parsed is None:
            return
        index, point = parsed
        starts = self.starts.copy()
        dims = self._marker_dims()
        starts[index, list(dims)] = point[: len(dims)]
        if not np.array_equal(starts, self.starts):
            self._pushing_starts = True  # the browser already shows the marker there
            try:
                self._guard(setattr, self, "starts", starts)
            finally:
                self._pushing_starts = False
            if self.one_dimensional:
                self._show_starts()  # back onto the curve

    def _on_starts_mark(self, _change: dict[str, Any]) -> None:
        """The start markers' x/y changed in the browser (a click added one, a drag ended)."""
        if self._pushing_starts:
            return
        points = marker_points(self.map.starts.x, self.map.starts.y, self._marker_bounds())
        refused = ""
        if len(points) > self.max_starts:
            points = points[: self.max_starts]
            plural = "s" if self.max_starts != 1 else ""
            refused = f"at most {self.max_starts} start{plural}; remove one to add another"
        dims = list(self._marker_dims())
        if points:
            starts = np.repeat(self.starts[:1], len(points), axis=0)
            keep = min(len(points), len(self.starts))
            starts[:keep] = self.starts[:keep]
            starts[:, dims] = np.asarray(points, np.float32)[:, : len(dims)]
            if not np.array_equal(starts, self.starts):
                self._guard(setattr, self, "starts", starts)
        # The browser's markers must match what was accepted (clamped, capped, on the curve).
        self._show_starts()
        if refused:
            self._show_message(refused, is_error=True)

    # ------------------------------------------------------------------ reactions
    def _on_inputs(self, change: dict[str, Any]) -> None:
        name = change["name"]
        if name == "optimizer":
            spec = resolve_optimizer(change["new"])
            defaults = spec.defaults()
            merged = {
                h.name: self.hyperparameters.get(h.name, defaults[h.name])
                for h in spec.hyperparameters
                if h.name != "learning_rate"
            }
            others = {k: v for k, v in self.hyperparameters.items() if k not in merged}
            self.hyperparameters = {**others, **merged}
            self._sync_controls()
        elif name in ("learning_rate", "hyperparameters"):
            self.controls.set_values({"learning_rate": self.learning_rate, **self.hyperparameters})
        elif name == "steps":
            self.controls.steps.value = int(min(max(self.steps, STEPS_RANGE[0]), STEPS_RANGE[1]))
        elif name in ("batch_size", "seed"):
            self._show_sampling()
        elif name == "lock":
            self._show_lock()
            self._show_starts()
        elif name == "starts" and not self._pushing_starts:
            self._show_starts()
        self._guard(self._recompute)

    def _sync_controls(self) -> None:
        spec = resolve_optimizer(self.optimizer)
        name = spec.name if spec.name in OPTIMIZERS else "custom"
        self.controls.show_optimizer(name, spec)
        self.controls.set_values({"learning_rate": self.learning_rate, **self.hyperparameters})
        self.controls.sliders["learning_rate"].disabled = not spec.injectable
        steps = int(min(max(self.steps, STEPS_RANGE[0]), STEPS_RANGE[1]))
        if self.controls.steps.value != steps:
            self.controls.steps.value = steps
        if self.log_toggle.value != self.log_loss:
            self.log_toggle.value = self.log_loss
        self._show_sampling()

    def _hyper_values(self) -> dict[str, float]:
        spec = resolve_optimizer(self.optimizer)
        values = {}
        for h in spec.hyperparameters:
            if h.name == "learning_rate":
                values[h.name] = h.clamp(self.learning_rate)
            else:
                values[h.name] = self.hyperparameters.get(h.name, h.default)
        return values

    def _minibatch(self) -> Minibatch | None:
        return Minibatch(self.batch_size, self.seed) if self.batch_size else None

    def _recompute(self, wait: bool = False) -> Trajectories | None:
        """Start computing the descent for the current inputs (superseding any other).

        A fast descent finishes here. A slow one computes for COMPUTE_BUDGET seconds,
        then goes on in chunks between the kernel's messages (with progress shown and
        partial paths streamed) in a Jupyter kernel; outside one (a script, a test),
        or with ``wait``, it finishes here.
        """
        self._cancel_job()
        job = ChunkedRun(
            descent_for(self.objective, self.optimizer), self._effective_starts(),
            self.steps, self._hyper_values(), tol=self.tolerance, mask=self._mask(),
            minibatch=self._minibatch(),
        )  # fmt: skip
        self._job, self._job_started = job, time.perf_counter()
        loop = kernel_loop()
        if job.advance(math.inf if wait or loop is None else COMPUTE_BUDGET):
            return self._finish_job(job, fast=True)
        self._partial_shown = time.perf_counter()
        self._show_progress(job)
        loop.call_later(COMPUTE_GAP, self._continue_job, job)
        return None

    def _continue_job(self, job: ChunkedRun) -> None:
        """One more chunk of a slow descent, unless an input changed since it began."""
        if job is not self._job:
            return  # superseded: a newer input started its own run
        finished = self._guard(job.advance, COMPUTE_BUDGET)
        if finished is None:  # the objective failed: the status line says how; the run ends
            self._cancel_job()
            return
        if finished:
            self._guard(self._finish_job, job, False)
            return
        self._show_progress(job)
        if time.perf_counter() - self._partial_shown >= PARTIAL_EVERY:
            self._partial_shown = time.perf_counter()
            self._guard(self._show_run, job.result(), False)
        loop = kernel_loop()
        if loop is not None:
            loop.call_later(COMPUTE_GAP, self._continue_job, job)
        else:
            self._guard(self._finish_pending)

    def _finish_pending(self) -> None:
        """Complete a slow descent now (Python asked for its result)."""
        job = self._job
        if job is not None and not job.finished:
            job.advance(math.inf)
            self._finish_job(job, fast=False)

    def _cancel_job(self) -> None:
        self._job = None
        if hasattr(self, "progress"):  # not yet made when a constructor check failed
            self.progress.layout.display = "none"

    def _show_progress(self, job: ChunkedRun) -> None:
        self.progress.value = job.progress
        self.progress.layout.display = None
        self._show_message(
            f"computing step {job.done - 1:,} of {job.total - 1:,} "
            f"({job.progress:.0%}); a new input starts over",
            is_error=False,
        )

    def _finish_job(self, job: ChunkedRun, fast: bool) -> Trajectories:
        elapsed = time.perf_counter() - self._job_started
        self._cancel_job()
        run = job.result()
        self._show_run(run, fast)
        spec = resolve_optimizer(self.optimizer)
        hyper = self._hyper_values()
        lr = f", learning rate {hyper['learning_rate']:.4g}" if "learning_rate" in hyper else ""
        locked = self._locked()
        held = f", {self.objective.names[locked[0]]} locked" if locked is not None else ""
        batch = f", minibatches of {self.batch_size:,}" if self.batch_size else ""
        self._show_message(
            f"{spec.label}{lr}, {self.steps} steps from {run.n_starts} "
            f"start{'s' if run.n_starts != 1 else ''}{held}{batch}: computed in "
            f"{elapsed * 1e3:.1f} ms",
            is_error=False,
        )
        return run

    def _show_run(self, run: Trajectories, fast: bool) -> None:
        """Make ``run`` the shown result: the browser's frames, then the status rows.

        The Player's message goes first: the status rows may run more descents (the
        advice when a start diverges), which would hold the paths back by milliseconds.
        """
        self._run = run
        self._publish(status=False)
        self._rows = self._status_rows(run, self._hyper_values(), self._effective_starts(),
                                       self._mask(), advise=fast)  # fmt: skip
        self._publish_status()

    def _status_rows(self, run, hyper, starts, mask, advise: bool) -> list[StartStatus]:
        hint = ""
        # The advice runs more descents: only for objectives fast enough to afford it.
        if advise and (run.diverged_at >= 0).any():
            rate = stable_learning_rate(
                self.objective, self.optimizer, starts, self.steps, hyper, mask=mask
            )
            if rate is not None:
                hint = f"try a learning rate of {rate:.3g} or less"
        norms = run.gradient_norm(mask)  # with an axis locked, only the free ones count
        finals = [run.final_index(j) for j in range(run.n_starts)]
        if self.batch_size:
            # The records hold each step's minibatch loss; the status gives the whole data's.
            losses = [float(self.objective.value(run.params[j, i])) for j, i in enumerate(finals)]
        else:
            losses = [float(run.loss[j, i]) for j, i in enumerate(finals)]
        rows = []
        for j, last in enumerate(finals):
            diverged = run.diverged_at[j] >= 0
            state = "diverged" if diverged else ("ok" if run.converged_at[j] >= 0 else "moving")
            rows.append(
                StartStatus(
                    index=j,
                    color=start_color(j),
                    final_point=tuple(float(v) for v in run.params[j, last]),
                    final_loss=losses[j],
                    gradient_norm=float(norms[j, last]),
                    summary=run.summary(j),
                    state=state,
                    hint=hint if diverged else "",
                )
            )
        return rows

    def _publish(self, status: bool = True) -> None:
        """Ship the current run to the browser: Player buffers and tracks, ranges, status."""
        run = self._run
        if run is None:
            return
        k, n = run.n_starts, run.steps + 1
        lengths = [run.valid_length(j) for j in range(k)]
        loss, low, high = self._loss_for_display(run, lengths)
        low, high = self.loss_view.settled_range(low, high)
        with np.errstate(invalid="ignore"):  # inf x 0 on a locked axis: NaN, as in the engine
            grad = run.grad * (self._mask() if self.lock else 1.0)
        if self.one_dimensional:
            xs = run.params[:, :, 0]
            parts = [self.map.frames(xs, run.loss, grad[:, :, 0], lengths)]
        else:
            dx, dy = self.map_dims
            px, py = run.params[:, :, dx], run.params[:, :, dy]
            parts = [self.map.frames(px, py, grad[:, :, dx], grad[:, :, dy], lengths)]
        parts.append(self.loss_view.frames(loss, lengths, low, high))
        if self.slice_view is not None:
            # The robot's slice: only while an axis is locked.
            locked = self._locked()
            if locked is None:
                parts.append(({}, []))
            else:
                dx, dy = self.map_dims
                free = dy if locked[0] == dx else dx
                xs = run.params[:, :, free]
                parts.append(self.slice_view.frames(xs, run.loss, grad[:, :, free], lengths))
        if self.companion_view is not None:
            curves = frame_curves(
                self.objective, self.companion_view.companion.curve,
                self.companion_view.companion.xs, run.params,
            )  # fmt: skip
            parts.append(self.companion_view.frames(curves, lengths))
        buffers, tracks, offset = {}, [], 0
        for view, (view_buffers, view_tracks) in zip(self._views, parts, strict=True):
            buffers.update(view_buffers)
            tracks += [{**t, "target": t["target"] + offset} for t in view_tracks]
            offset += len(view.player_marks())
        if self._surface_shown():  # only a visible surface costs a message
            tracks += self._surface_frames(run, lengths)
        # The Player's message first: the paths redraw from it alone.
        self.player.load(n, buffers, tracks)
        with self.hold_sync():
            self.loss_view.set_log(self.log_loss)
            self.loss_view.set_ranges(run.steps, low, high)
            for view in self._views:
                (view.show_lines if view is self.loss_view else view.show_paths)(k)
            self._keep_python_copies(buffers, loss, lengths)
        if status:
            self._publish_status()

    def _publish_status(self) -> None:
        shown = [row.shown(self.display.point(row.final_point)) for row in self._rows]
        self.status_table.value = status_table_html(shown, self.display.names)

    def _keep_python_copies(self, buffers: dict[str, Any], loss, lengths) -> None:
        """Python's copies of the Player-owned marks = the final state the browser shows."""
        if self.one_dimensional:
            self.map.keep_python_copies(buffers["curve.x"], buffers["curve.y"], lengths)
        else:
            self.map.keep_python_copies(buffers["map.px"], buffers["map.py"], lengths)
        self.loss_view.keep_python_copies(loss, lengths)
        if self.slice_view is not None and self.lock:
            self.slice_view.keep_python_copies(buffers["slice.x"], buffers["slice.y"], lengths)
        if self.companion_view is not None:
            curves = np.stack([buffers[f"data.y{j}"] for j in range(len(lengths))])
            self.companion_view.keep_python_copies(curves, lengths)

    def _loss_for_display(self, run: Trajectories, lengths: list[int]):
        valid = np.concatenate([run.loss[j, : lengths[j]] for j in range(run.n_starts)])
        valid = valid[np.isfinite(valid)]
        if valid.size == 0:
            return run.loss, 0.0, 1.0
        lowest = float(valid.min())
        if self.log_loss:
            floor = 1e-9 * max(1.0, abs(lowest))
            shown = np.maximum(run.loss - lowest, floor).astype(np.float32)
            top = float(np.nanmax(np.where(np.isfinite(shown), shown, np.nan)))
            return shown, floor, max(top, floor * 10)
        first = run.loss[:, 0][np.isfinite(run.loss[:, 0])]
        # A diverging start's loss explodes; cap the view at 10x the starting range.
        high = float(valid.max())
        if first.size:
            high = min(high, lowest + 10 * max(float(first.max()) - lowest, 1e-6))
        if high <= lowest:
            high = lowest + max(1e-6, abs(lowest) * 1e-3)
        pad = 0.04 * (high - lowest)
        return run.loss, lowest - pad, high + pad

    def _show_starts(self) -> None:
        """Place the start markers from Python (their x/y observer must not react)."""
        self._pushing_starts = True
        try:
            starts = self._effective_starts()
            if self.one_dimensional:
                values = np.asarray([float(self.objective.value(s)) for s in starts])
                self.map.set_starts(starts[:, 0], values)
            else:
                self.map.set_starts(starts[:, list(self.map_dims)])
                if self.slice_view is not None:
                    self.slice_view._color_starts(len(starts))
        finally:
            self._pushing_starts = False

    def _show_message(self, message: str, is_error: bool) -> None:
        self.message = message
        self.status_line.value = status_line_html(message, is_error)

    # ------------------------------------------------------------------ public API
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
        self._finish_pending()
        return np.array(self._run.params) if self._run is not None else np.empty((0, 0, 0))

    @property
    def losses(self) -> np.ndarray:
        """The loss at every point: ``(starts, steps + 1)``."""
        self._finish_pending()
        return np.array(self._run.loss) if self._run is not None else np.empty((0, 0))

    @property
    def result(self) -> Trajectories | None:
        """The full engine result (params, loss, grad, divergence and convergence steps)."""
        self._finish_pending()
        return self._run

    @property
    def status(self) -> list[dict[str, object]]:
        """Per start: final point, loss, gradient norm, outcome and a hint when diverged."""
        self._finish_pending()
        return [row.as_dict() for row in self._rows]

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
        self._finish_pending()
        if self._run is None:
            return np.empty((0, self.objective.dim))
        index = [min(self.frame, self._run.final_index(j)) for j in range(self._run.n_starts)]
        return self._run.params[np.arange(self._run.n_starts), index].copy()

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

    def close(self) -> None:
        """Close the dashboard and every widget it made, shown or not (figures, controls)."""
        self._cancel_job()
        # getattr: a constructor that failed part way closes what it had made.
        owners = [self, *(getattr(self, name, None) for name in
                          ("map", "loss_view", "slice_view", "companion_view"))]  # fmt: skip
        widgets = [*self.children, self.layout]
        for owner in owners:
            for value in vars(owner).values() if owner is not None else ():
                items = value if isinstance(value, list | tuple) else [value]
                widgets += [v for v in items if isinstance(v, ipywidgets.Widget) and v is not self]
        super().close()
        for widget in widgets:
            close_tree(widget)


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
