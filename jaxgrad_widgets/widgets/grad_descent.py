"""GradDescentWidget: the interactive optimizer dashboard.

Python computes every step of every start once per input change (one compiled call)
and hands the frames to the Player, which plays them in the browser. Everything on
screen is also a trait or a method, so the widget can be scripted and tested headless.

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

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets
import numpy as np
import optax
import traitlets

from ..engine import (
    DEFAULT_TOLERANCE,
    JaxGradError,
    Objective,
    ObjectiveError,
    Trajectories,
    check_bounds,
    contour_paths,
    default_levels,
    descent_for,
    find_minima,
    grid_values,
    resolve_optimizer,
    stable_learning_rate,
    suggest_bounds,
)
from ..engine.optimizers import OPTIMIZERS
from ..functions import describe
from .controls import STEPS_RANGE, OptimizerControls
from .figures import LossFigure, MapFigure, set_quietly
from .palette import start_color
from .player import Arange, Player
from .status import StartStatus, status_line_html, status_table_html

log = logging.getLogger("jaxgrad_widgets")

#: Largest number of starts the map offers (clicks beyond it are refused).
DEFAULT_MAX_STARTS = 16
#: Arrow length on the map, as a fraction of the map's width.
ARROW_FRACTION = 0.12
#: Path simplification tolerance in the browser, as a fraction of the data range.
SIMPLIFY = 1e-3


def _shade(values: np.ndarray) -> np.ndarray:
    """Heights -> [0, 1] by rank, so the colours resolve the valleys, not just the walls."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.ones_like(values)
    knots = np.quantile(finite, np.linspace(0, 1, 65))
    shade = np.interp(values, knots, np.linspace(0, 1, 65)).astype(np.float32)
    shade[~np.isfinite(values)] = 1.0
    return shade


def _as_points(value: Any, dim: int, name: str) -> np.ndarray:
    try:
        points = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ObjectiveError(f"{name} must be numbers, not {value!r}") from None
    if points.ndim <= 1 and points.size == dim:
        points = points.reshape(1, dim)
    if points.ndim != 2 or points.shape[1] != dim:
        raise ObjectiveError(
            f"{name} must have shape (number of starts, {dim}), got {np.shape(points)}"
        )
    if not np.isfinite(points).all():
        raise ObjectiveError(f"{name} must be finite numbers (no NaN or infinity)")
    return points


class GradDescentWidget(ipywidgets.VBox):
    """A live gradient-descent dashboard for a function of two or more parameters.

    Args:
        f: the function to minimise, e.g. ``goldfield(x, y)``.
        argnums: positions of the arguments to optimise (as in ``jax.grad``).
        start: one start point; ``starts``: several.
        optimizer: a registry name ('sgd', 'momentum', 'nesterov', 'adagrad',
            'rmsprop', 'adam') or an ``optax.GradientTransformation``.
        learning_rate: defaults to the optimizer's registry default.
        steps: optimizer steps per start.
        bounds: ((xmin, xmax), (ymin, ymax)) of the map; found when not given.
        max_starts: how many starts clicks may add.
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

    optimizer = traitlets.Any("sgd")
    learning_rate = traitlets.Float(0.01)
    hyperparameters = traitlets.Dict()
    steps = traitlets.Int(300)
    starts = traitlets.Any()
    log_loss = traitlets.Bool(False)
    frame = traitlets.Int(0)
    message = traitlets.Unicode("")

    def __init__(
        self,
        f: Callable[..., Any],
        argnums: int | Sequence[int] | None = None,
        start: Any = None,
        starts: Any = None,
        optimizer: str | optax.GradientTransformation = "sgd",
        learning_rate: float | None = None,
        steps: int = 300,
        bounds: Sequence[tuple[float, float]] | None = None,
        *,
        max_starts: int = DEFAULT_MAX_STARTS,
        resolution: int = 120,
        tol: float = DEFAULT_TOLERANCE,
        **fixed: Any,
    ) -> None:
        info = describe(f) if argnums is None and not fixed else None
        if start is not None and starts is not None:
            raise ObjectiveError("give either start=(...) for one start or starts=[...], not both")
        example = start if start is not None else (starts[0] if starts is not None else None)
        if example is None and info is not None:
            example = info.start
        self.objective = Objective(f, argnums, fixed=fixed, example=example)
        if self.objective.dim < 2:
            raise ObjectiveError(
                f"the map needs at least two parameters; {self.objective.name} has one "
                f"({self.objective.names[0]}): use DerivativeWidget for a 1-D function"
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
        self.dims = (0, 1)
        self._pushing_starts = False
        self._run: Trajectories | None = None
        self._rows: list[StartStatus] = []

        initial = self._initial_starts(start, starts, info)
        if bounds is not None:
            map_bounds = check_bounds(bounds, 2)
        elif info is not None and len(info.bounds) == 2:
            map_bounds = tuple(info.bounds)
        else:
            map_bounds = suggest_bounds(self.objective, initial, dims=self.dims)
        self.bounds = map_bounds

        # The view: figures, controls, the Player, status.
        labels = tuple(self.objective.names[d] for d in self.dims)
        self.map = MapFigure(labels, map_bounds, max_starts)
        self.loss_view = LossFigure(max_starts)
        self.player = Player(
            targets=[
                *self.map.paths,
                self.map.current,
                self.map.arrows,
                *self.loss_view.lines,
                self.loss_view.marker,
            ],
        )
        self.controls = OptimizerControls()
        self.log_toggle = ipywidgets.ToggleButton(
            value=False,
            description="log loss",
            tooltip="loss on a log scale",
            icon="line-chart",
            layout=ipywidgets.Layout(width="auto"),
        )
        self.remove_button = ipywidgets.Button(
            description="remove last start", icon="minus", layout=ipywidgets.Layout(width="auto")
        )
        self.clear_button = ipywidgets.Button(
            description="clear starts", icon="times", layout=ipywidgets.Layout(width="auto")
        )
        self.status_table = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%"))
        self.status_line = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%"))
        self.title = ipywidgets.HTML(self._title_html(f))
        plots = ipywidgets.HBox(
            [
                ipywidgets.Box(
                    [self.map.figure],
                    layout=ipywidgets.Layout(flex="1 1 380px", max_width="560px"),
                ),
                ipywidgets.Box([self.loss_view.figure], layout=ipywidgets.Layout(flex="1 1 300px")),
            ],
            layout=ipywidgets.Layout(width="100%", flex_flow="row wrap"),
        )
        buttons = ipywidgets.VBox(
            [self.log_toggle, self.remove_button, self.clear_button],
            layout=ipywidgets.Layout(flex="0 0 auto", align_items="flex-start"),
        )
        super().__init__(
            [
                self.title,
                plots,
                self.player,
                ipywidgets.HBox(
                    [self.controls, buttons],
                    layout=ipywidgets.Layout(width="100%", flex_flow="row wrap"),
                ),
                self.status_table,
                self.status_line,
            ],
            layout=ipywidgets.Layout(width="100%"),
        )
        self.add_class("jgw-root")
        self.add_class("jgw-grad-descent")

        self._draw_landscape(info, base=initial[0])
        with self.hold_trait_notifications():
            self.optimizer = optimizer
            spec = resolve_optimizer(optimizer)
            defaults = spec.defaults()
            self.learning_rate = (
                defaults.get("learning_rate", 0.01) if learning_rate is None else learning_rate
            )
            self.hyperparameters = {k: v for k, v in defaults.items() if k != "learning_rate"}
            self.steps = steps
            self.starts = initial
        self._connect()
        self._sync_controls()
        self._show_starts()
        self._recompute()

    # ------------------------------------------------------------------ set-up
    def _initial_starts(self, start: Any, starts: Any, info: Any) -> np.ndarray:
        if starts is not None:
            if len(starts) == 0:
                raise ObjectiveError("starts is empty; give at least one start")
            return self._validate_starts([self.objective.pack_example(s) for s in starts])
        if start is None and info is not None:
            start = info.start
        return self._validate_starts(self.objective.pack_example(start)[None, :])

    def _title_html(self, f: Callable[..., Any]) -> str:
        info = describe(f)
        formula = f" = {info.formula}" if info is not None and info.formula else ""
        args = ", ".join(self.objective.arg_names)
        return f'<div class="jgw-title"><b>{self.objective.name}</b>({args}){formula}</div>'

    def _draw_landscape(self, info: Any, base: np.ndarray) -> None:
        grid = grid_values(self.objective, self.bounds, 120, dims=self.dims, base=base)
        levels = default_levels(grid.values)
        contour_x, contour_y = contour_paths(grid, levels)
        self.map.set_landscape(grid.xs, grid.ys, _shade(grid.values), contour_x, contour_y)
        if info is not None and info.minima and len(info.minima[0]) == self.objective.dim:
            minima = np.asarray(info.minima, np.float32)[:, list(self.dims)]
        else:
            found = find_minima(self.objective, self.bounds, dims=self.dims, base=base)
            minima = np.asarray([m.point[list(self.dims)] for m in found], np.float32)
        self.minima = minima.reshape(-1, 2)
        self.map.set_minima(self.minima)

    def _connect(self) -> None:
        c = self.controls
        c.optimizer.observe(self._on_optimizer_control, names="value")
        for name, slider in c.sliders.items():
            slider.observe(self._make_slider_handler(name), names="value")
        c.steps.observe(self._on_steps_control, names="value")
        self.log_toggle.observe(
            lambda change: self._guard(self._set_log, change["new"]), names="value"
        )
        self.remove_button.on_click(lambda _: self._guard(self.remove_start))
        self.clear_button.on_click(lambda _: self._guard(self.clear_starts))
        self.map.starts.on_drag(self._on_drag)
        self.map.starts.on_drag_end(self._on_drag)
        self.map.starts.observe(self._on_starts_mark, names=["x", "y"])
        traitlets.link((self.player, "frame"), (self, "frame"))
        self.observe(
            self._on_inputs,
            names=["optimizer", "learning_rate", "hyperparameters", "steps", "starts"],
        )
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
        steps = proposal["value"]
        descent_for(self.objective, "sgd")._check_steps(steps)
        return int(steps)

    @traitlets.validate("starts")
    def _check_starts(self, proposal: dict[str, Any]) -> np.ndarray:
        return self._validate_starts(proposal["value"])

    def _validate_starts(self, value: Any) -> np.ndarray:
        points = _as_points(value, self.objective.dim, "starts")
        if len(points) == 0:
            raise ObjectiveError("give at least one start")
        if len(points) > self.max_starts:
            raise ObjectiveError(
                f"{len(points)} starts is more than this widget's maximum of {self.max_starts}"
            )
        return points

    # ------------------------------------------------------------------ browser input
    def _guard(self, action: Callable[..., Any], *args: Any) -> Any:
        """Run a callback; show a refused input or an internal error in the status line."""
        try:
            return action(*args)
        except JaxGradError as err:
            self._show_message(str(err), is_error=True)
        except traitlets.TraitError as err:
            self._show_message(str(err), is_error=True)
        except Exception as err:  # a bug must not go silent: status line + log
            log.exception("jaxgrad_widgets callback failed")
            self._show_message(f"internal error: {type(err).__name__}: {err}", is_error=True)
        return None

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
            if name == "learning_rate":
                if value != self.learning_rate:
                    self._guard(setattr, self, "learning_rate", value)
            elif value != self.hyperparameters.get(name):
                self._guard(setattr, self, "hyperparameters", {**self.hyperparameters, name: value})

        return handle

    def _on_steps_control(self, change: dict[str, Any]) -> None:
        try:
            value = int(change["new"])
        except (TypeError, ValueError):
            return
        value = min(max(value, STEPS_RANGE[0]), STEPS_RANGE[1])
        if value != self.steps:
            self._guard(setattr, self, "steps", value)

    def _clamp_to_map(self, x: Any, y: Any) -> tuple[float, float] | None:
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            return None
        if not (np.isfinite(x) and np.isfinite(y)):
            return None
        (x_low, x_high), (y_low, y_high) = self.bounds
        return min(max(x, x_low), x_high), min(max(y, y_low), y_high)

    def _on_drag(self, _mark: Any, event: Any) -> None:
        """A start marker being dragged: recompute its path for the new position."""
        if not isinstance(event, dict):
            return
        index, point = event.get("index"), event.get("point")
        if isinstance(index, bool) or not isinstance(index, int) or not isinstance(point, dict):
            return
        if not 0 <= index < len(self.starts):
            return
        clamped = self._clamp_to_map(point.get("x"), point.get("y"))
        if clamped is None:
            return
        starts = self.starts.copy()
        starts[index, list(self.dims)] = clamped
        if not np.array_equal(starts, self.starts):
            self._pushing_starts = True  # the browser already shows the marker there
            try:
                self._guard(setattr, self, "starts", starts)
            finally:
                self._pushing_starts = False

    def _on_starts_mark(self, _change: dict[str, Any]) -> None:
        """The start markers' x/y changed in the browser (a click added one, a drag ended)."""
        if self._pushing_starts:
            return
        xs = np.asarray(self.map.starts.x, dtype=np.float64).reshape(-1)
        ys = np.asarray(self.map.starts.y, dtype=np.float64).reshape(-1)
        count = min(len(xs), len(ys))
        points = []
        for x, y in zip(xs[:count], ys[:count], strict=True):
            clamped = self._clamp_to_map(x, y)
            if clamped is not None:
                points.append(clamped)
        refused = ""
        if len(points) > self.max_starts:
            points = points[: self.max_starts]
            plural = "s" if self.max_starts != 1 else ""
            refused = f"at most {self.max_starts} start{plural}; remove one to add another"
        if not points:
            points = [tuple(self.starts[0, list(self.dims)])]
        starts = np.repeat(self.starts[:1], len(points), axis=0)
        keep = min(len(points), len(self.starts))
        starts[:keep] = self.starts[:keep]
        starts[:, list(self.dims)] = np.asarray(points, np.float32)
        if not np.array_equal(starts, self.starts):
            self._guard(setattr, self, "starts", starts)
        # The browser's markers must match what was accepted (clamped, capped).
        expected = starts[:, list(self.dims)]
        if (
            len(xs) != len(expected)
            or not np.allclose(xs[:count], expected[:, 0])
            or not (np.allclose(ys[:count], expected[:, 1]))
        ):
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
        elif name == "starts" and not self._pushing_starts:
            self._show_starts()
        self._guard(self._recompute)

    def _sync_controls(self) -> None:
        spec = resolve_optimizer(self.optimizer)
        name = spec.name if spec.name in OPTIMIZERS else "custom"
        self.controls.show_optimizer(name, spec)
        self.controls.set_values({"learning_rate": self.learning_rate, **self.hyperparameters})
        lr_slider = self.controls.sliders["learning_rate"]
        lr_slider.disabled = not spec.injectable
        steps = int(min(max(self.steps, STEPS_RANGE[0]), STEPS_RANGE[1]))
        if self.controls.steps.value != steps:
            self.controls.steps.value = steps
        if self.log_toggle.value != self.log_loss:
            self.log_toggle.value = self.log_loss

    def _set_log(self, value: bool) -> None:
        self.log_loss = bool(value)

    def _hyper_values(self) -> dict[str, float]:
        spec = resolve_optimizer(self.optimizer)
        values = {}
        for h in spec.hyperparameters:
            if h.name == "learning_rate":
                values[h.name] = h.clamp(self.learning_rate)
            else:
                values[h.name] = self.hyperparameters.get(h.name, h.default)
        return values

    def _recompute(self) -> Trajectories:
        started = time.perf_counter()
        hyper = self._hyper_values()
        run = descent_for(self.objective, self.optimizer).run(
            self.starts, self.steps, hyper, tol=self.tolerance
        )
        elapsed = time.perf_counter() - started
        self._run = run
        self._rows = self._status_rows(run, hyper)
        self._publish()
        spec = resolve_optimizer(self.optimizer)
        lr = f", learning rate {hyper['learning_rate']:.4g}" if "learning_rate" in hyper else ""
        self._show_message(
            f"{spec.label}{lr}, {self.steps} steps from {run.n_starts} "
            f"start{'s' if run.n_starts != 1 else ''}: computed in {elapsed * 1e3:.1f} ms",
            is_error=False,
        )
        return run

    def _status_rows(self, run: Trajectories, hyper: dict[str, float]) -> list[StartStatus]:
        hint = ""
        if (run.diverged_at >= 0).any():
            rate = stable_learning_rate(
                self.objective, self.optimizer, self.starts, self.steps, hyper
            )
            if rate is not None:
                hint = f"try a learning rate of {rate:.3g} or less"
        norms = run.gradient_norm()
        rows = []
        for j in range(run.n_starts):
            last = run.final_index(j)
            diverged = run.diverged_at[j] >= 0
            state = "diverged" if diverged else ("ok" if run.converged_at[j] >= 0 else "moving")
            rows.append(
                StartStatus(
                    index=j,
                    color=start_color(j),
                    final_point=tuple(float(v) for v in run.params[j, last]),
                    final_loss=float(run.loss[j, last]),
                    gradient_norm=float(norms[j, last]),
                    summary=run.summary(j),
                    state=state,
                    hint=hint if diverged else "",
                )
            )
        return rows

    def _publish(self) -> None:
        """Ship the current run to the browser: Player buffers and tracks, status, ranges."""
        run = self._run
        if run is None:
            return
        k, n = run.n_starts, run.steps + 1
        dx, dy = self.dims
        px, py = run.params[:, :, dx], run.params[:, :, dy]
        lengths = [run.valid_length(j) for j in range(k)]
        tips_x, tips_y = self._arrow_tips(px, py, run.grad[:, :, dx], run.grad[:, :, dy])
        loss, low, high = self._loss_for_display(run, lengths)
        low, high = self.loss_view.settled_range(low, high)
        buffers = dict(px=px, py=py, ax=tips_x, ay=tips_y, loss=loss, steps=Arange(n))
        current, arrows = self.max_starts, self.max_starts + 1
        first_loss, marker = self.max_starts + 2, 2 * self.max_starts + 2

        def prefix(target: int, x: str, y: str, row: int, whole: bool) -> dict[str, Any]:
            # simplify: the browser skips points closer than 1/1000 of the data range to
            # the last one drawn (under a pixel); 16 x 1000-step playback stays smooth.
            return dict(target=target, kind="prefix", x=x, y=y, row=row, whole=whole,
                        length=lengths[row], simplify=SIMPLIFY)  # fmt: skip

        # Paths grow as they play; loss curves are drawn whole, the marker moves along.
        tracks = [prefix(j, "px", "py", j, False) for j in range(k)]
        tracks += [prefix(first_loss + j, "steps", "loss", j, True) for j in range(k)]
        tracks += [
            dict(target=current, kind="points", x="px", y="py", lengths=lengths),
            dict(target=arrows, kind="arrows", x0="px", y0="py", x1="ax", y1="ay",
                 lengths=lengths, head=0.3),
            dict(target=marker, kind="vline", low=low, high=high),
        ]  # fmt: skip
        # The Player's message first: the paths redraw from it alone.
        self.player.load(n, buffers, tracks)
        with self.hold_sync():
            self.loss_view.set_log(self.log_loss)
            self.loss_view.set_ranges(run.steps, low, high)
            self.map.show_paths(k)
            self.loss_view.show_lines(k)
            self._keep_python_copies(px, py, loss, lengths)
            self.status_table.value = status_table_html(
                self._rows, [self.objective.names[d] for d in self.dims]
            )

    def _keep_python_copies(self, px, py, loss, lengths) -> None:
        """Python's copies of Player-owned marks = the final state the browser shows."""
        steps = np.arange(px.shape[1], dtype=np.float32)
        for j, length in enumerate(lengths):
            keep = max(length, 1)
            set_quietly(self.map.paths[j], x=px[j, :keep], y=py[j, :keep])
            set_quietly(self.loss_view.lines[j], x=steps[:keep], y=loss[j, :keep])
        last = [max(length - 1, 0) for length in lengths]
        rows = np.arange(len(lengths))
        set_quietly(self.map.current, x=px[rows, last], y=py[rows, last])

    def _arrow_tips(self, px, py, gx, gy) -> tuple[np.ndarray, np.ndarray]:
        """Tips of the negative-gradient arrows: length grows with |grad|, capped."""
        norm = np.hypot(gx, gy)
        finite = norm[np.isfinite(norm) & (norm > 0)]
        reference = float(np.median(finite)) if finite.size else 1.0
        width = self.bounds[0][1] - self.bounds[0][0]
        with np.errstate(invalid="ignore", divide="ignore"):
            length = ARROW_FRACTION * width * norm / (norm + reference)
            scale = np.where(norm > 0, length / norm, 0.0)
        return (px - scale * gx).astype(np.float32), (py - scale * gy).astype(np.float32)

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
            self.map.set_starts(self.starts[:, list(self.dims)])
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
        return np.array(self._run.params) if self._run is not None else np.empty((0, 0, 0))

    @property
    def losses(self) -> np.ndarray:
        """The loss at every point: ``(starts, steps + 1)``."""
        return np.array(self._run.loss) if self._run is not None else np.empty((0, 0))

    @property
    def result(self) -> Trajectories | None:
        """The full engine result (params, loss, grad, divergence and convergence steps)."""
        return self._run

    @property
    def status(self) -> list[dict[str, object]]:
        """Per start: final point, loss, gradient norm, outcome and a hint when diverged."""
        return [row.as_dict() for row in self._rows]

    @property
    def figure(self):
        """The map's bqplot Figure, for customising."""
        return self.map.figure

    @property
    def loss_figure(self):
        """The loss plot's bqplot Figure."""
        return self.loss_view.figure

    def run(self) -> Trajectories:
        """Recompute now and play from the first step; returns the engine result."""
        result = self._recompute()
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
