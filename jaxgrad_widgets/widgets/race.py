"""RaceWidget: several optimizers race from one start, each at a fairly chosen rate.

The engine's :func:`~jaxgrad_widgets.engine.race` picks each optimizer's learning rate
(its own sweep's best, by default) and runs every optimizer once. The widget stacks
those runs into one :class:`~jaxgrad_widgets.engine.Trajectories` whose "starts" are
the optimizers, so the dashboard's own parts draw it as they are: the map (or a
one-parameter function's curve) with a path per optimizer, the loss panel with a curve
per optimizer, each in its colour, played by one :class:`~.stage.Stage` and its
:class:`~.player.Player` in the browser. A legend names the colours; a table ranks the
optimizers and says how each one's rate was chosen, for a race at a rate that favours
one optimizer proves nothing.

Example:
    >>> from jaxgrad_widgets import RaceWidget
    >>> from jaxgrad_widgets.functions import goldfield
    >>> w = RaceWidget(goldfield, optimizers=("sgd", "momentum", "adam"))
    >>> w.trajectory.shape, w.ranking
    ((3, 301, 2), ('sgd', 'adam', 'momentum'))
    >>> w.close()
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets
import numpy as np
import traitlets

from ..engine import (
    DEFAULT_TOLERANCE,
    OPTIMIZERS,
    ObjectiveError,
    Race,
    check_bounds,
    curve_values,
    race,
    suggest_bounds,
)
from ..engine.race import GIVEN, RACE_CANDIDATES, RACE_OPTIMIZERS, RACE_STEPS, TUNED
from ..engine.shared import shared_objective
from ..functions import FunctionInfo, describe
from .grad_descent import example_point
from .lifecycle import close_tree, replace_earlier_runs
from .looks import layout, style
from .palette import ERROR_COLOR, RACE_START_COLOR, SUCCESS_COLOR, start_color
from .panels import CURVE_POINTS, CurvePanel, LossPanel, MapPanel, RunView
from .stage import Stage


class RaceWidget(ipywidgets.VBox):
    """Optimizers racing from one start on one function, each at its own learning rate.

    Args:
        f: the function to minimise, e.g. ``goldfield(x, y)``.
        start: the one start point (a known function's default when not given).
        optimizers: registry names, each once; their order is their colours' order.
        tune: True: each optimizer races at the best rate of its own learning-rate
            sweep; False: at its registry default.
        steps: optimizer steps (a known function's default, else 300).
        rates: ``{"adam": 0.01}``: rates given for some optimizers (never tuned).
        bounds: the map's view ((xmin, xmax), (ymin, ymax)), or a curve's (xmin, xmax);
            found when not given.
        argnums: positions of the arguments to optimise (as in ``jax.grad``).
        tol: the gradient norm that counts as converged.
        candidates: learning rates each optimizer's sweep tries.
        hyper: ``{"momentum": {"momentum": 0.95}}``: other hyperparameters by optimizer.
        **fixed: values for the function's other arguments (``data=...``).

    Example:
        >>> from jaxgrad_widgets.functions import goldfield
        >>> w = RaceWidget(goldfield, start=(0.1, 0.1), optimizers=("sgd", "adam"),
        ...                tune=False, steps=200)
        >>> w.rates, w.ranking
        ({'sgd': 0.01, 'adam': 0.05}, ('adam', 'sgd'))
        >>> w.player.track_values["map.lengths"]
        [201, 201]
        >>> w.close()
    """

    #: The frame the Player shows (linked to it).
    frame = traitlets.Int(0)

    def __init__(
        self,
        f: Callable[..., Any],
        start: Any = None,
        optimizers: Sequence[str] = RACE_OPTIMIZERS,
        tune: bool = True,
        steps: int | None = None,
        rates: Mapping[str, float] | None = None,
        bounds: Any = None,
        *,
        argnums: int | Sequence[int] | None = None,
        tol: float = DEFAULT_TOLERANCE,
        candidates: int = RACE_CANDIDATES,
        hyper: Mapping[str, Mapping[str, float]] | None = None,
        **fixed: Any,
    ) -> None:
        # A failed check must not leave the widgets made so far open (and registered).
        try:
            info = describe(f) if argnums is None and not fixed else None
            self._info = info
            example = example_point(start, None, info)
            self.objective = shared_objective(f, argnums, fixed=fixed, example=example)
            point = self.objective.pack_example(example)
            if not np.isfinite(point).all():
                raise ObjectiveError(
                    f"the start must be finite numbers (no NaN or infinity), not {start!r}"
                )
            if steps is None:
                steps = info.steps if info is not None and info.steps is not None else RACE_STEPS
            self._race = race(self.objective, point, optimizers, steps, tune=tune, rates=rates,
                              candidates=candidates, tol=tol, hyper=hyper)  # fmt: skip
            self.one_dimensional = self.objective.dim == 1
            self._build(self._initial_bounds(bounds, info))
            super().__init__(self._layout(), layout=layout(width="100%"))
            self.add_class("jgw-root")
            self.add_class("jgw-race")
            traitlets.link((self.player, "frame"), (self, "frame"))
            replace_earlier_runs(self)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ set-up
    def _initial_bounds(self, bounds: Any, info: FunctionInfo | None):
        """The view: as given, the known function's, else the start and where runs end."""
        r, dim = self._race, self.objective.dim
        if bounds is not None:
            if self.one_dimensional:
                return check_bounds([bounds[0] if np.ndim(bounds) == 2 else bounds], 1)
            return check_bounds(bounds, 2)
        if info is not None and len(info.bounds) == dim and dim <= 2:
            return tuple(info.bounds)
        ends = [r.trajectory[j, run.final_index(0)] for j, run in enumerate(r.runs)
                if r.diverged_at[j] < 0]  # fmt: skip
        points = np.vstack([r.start[None, :], *[e[None, :] for e in ends]])
        if self.one_dimensional:
            low, high = float(points.min()), float(points.max())
            pad = max(0.25 * (high - low), 1.0)
            return ((low - pad, high + pad),)
        return suggest_bounds(self.objective, points, dims=(0, 1),
                              search=self.objective.jittable)  # fmt: skip

    def _build(self, bounds: Any) -> None:
        """The panels, the stage that plays them, the legend and the ranking table."""
        objective, r = self.objective, self._race
        names = objective.names
        self.loss_view = LossPanel()
        if self.one_dimensional:
            label = f"{objective.name}({names[0]})"
            self.map: MapPanel | CurvePanel = CurvePanel(names[0], bounds[0], y_label=label)
            xs, ys = curve_values(objective, bounds[0], CURVE_POINTS)
            self.map.set_curve(xs, ys)
        else:
            self.map = MapPanel((names[0], names[1]), bounds)
            info = self._info
            known = info.minima if info is not None and info.minima else None
            self.map.draw_landscape(objective, (0, 1), r.start, minima=known,
                                    search=objective.jittable)  # fmt: skip
            # One start for every optimizer: shown, neutral, not draggable.
            self.map.set_starts(r.start[None, :2])
            starts = self.map.starts
            with starts.hold_sync():
                starts.enable_move = False
                starts.interactions = {}
                starts.colors = [RACE_START_COLOR]
        self.stage = Stage([self.map, self.loss_view])
        self.player = self.stage.player
        view = RunView.of(r.as_trajectories(), None if self.one_dimensional else (0, 1))
        self.stage.load(view, [self.map, self.loss_view], key=0)
        # Six negative-gradient arrows would hide the paths they explain.
        self.map.arrows.visible = False
        look = style(ipywidgets.HTML)
        self.title = ipywidgets.HTML(self._title_html(), layout=layout(), style=look)
        self.legend = ipywidgets.HTML(race_legend_html(r), layout=layout(), style=look)
        self.table = ipywidgets.HTML(race_table_html(r), layout=layout(width="100%"), style=look)
        self.note = ipywidgets.HTML(race_note_html(r, self.objective.name),
                                    layout=layout(width="100%"), style=look)  # fmt: skip

    def _title_html(self) -> str:
        r, info = self._race, self._info
        formula = f" = {html.escape(info.formula)}" if info is not None and info.formula else ""
        args = ", ".join(self.objective.arg_names)
        start = ", ".join(f"{v:.4g}" for v in r.start)
        count = len(r.names)
        return (
            f'<div class="jgw-title"><b>Optimizer race</b> on <b>{self.objective.name}</b>'
            f"({html.escape(args)}){formula}: {count} optimizer{'s' if count != 1 else ''} "
            f"from ({start}), {r.steps} steps</div>"
        )

    def _layout(self) -> list[ipywidgets.Widget]:
        # Under the map, its notes ("map drawn with c = ... held", the critical points).
        notes = [self.map.notes.widget] if isinstance(self.map, MapPanel) else []
        self._map_box = ipywidgets.Box(
            [self.map.figure, *notes],
            layout=layout(flex="1 1 380px", max_width="560px", flex_flow="column"),
        )
        self.plots = ipywidgets.HBox(
            [self._map_box, self.loss_view.figure],
            layout=layout(width="100%", flex_flow="row wrap"),
        )
        return [self.title, self.legend, self.plots, self.player, self.table, self.note]

    # ------------------------------------------------------------------ public API
    @property
    def result(self) -> Race:
        """The engine's :class:`~jaxgrad_widgets.engine.Race` (rates, runs, sweeps, notes)."""
        return self._race

    @property
    def names(self) -> tuple[str, ...]:
        """The optimizers, in their colours' order."""
        return self._race.names

    @property
    def rates(self) -> dict[str, float]:
        """Optimizer -> the learning rate it raced at."""
        return dict(self._race.rates)

    @property
    def trajectory(self) -> np.ndarray:
        """Every point of every optimizer's path: ``(optimizers, steps + 1, parameters)``."""
        return np.array(self._race.trajectory)

    @property
    def losses(self) -> np.ndarray:
        """The loss at every point: ``(optimizers, steps + 1)``."""
        return np.array(self._race.losses)

    @property
    def ranking(self) -> tuple[str, ...]:
        """The optimizers, fastest first (see :class:`~jaxgrad_widgets.engine.Race`)."""
        return self._race.ranking

    @property
    def figure(self):
        """The map's (or the 1-D curve's) bqplot Figure, for customising."""
        return self.map.figure

    @property
    def loss_figure(self):
        """The loss plot's bqplot Figure."""
        return self.loss_view.figure

    def close(self) -> None:
        """Close the race and every widget it made (figures, marks, the Player)."""
        widgets = [*self.children, self.layout, *_owned_widgets(self)]
        super().close()
        for widget in widgets:
            close_tree(widget)


def _owned_widgets(owner: object, depth: int = 4) -> list[ipywidgets.Widget]:
    """The widgets ``owner``'s attributes hold, directly, in lists, or in the widgets
    package's own parts (panels, their marks and layers), shown or not."""
    found: list[ipywidgets.Widget] = []
    seen = {id(owner)}
    pending = [(owner, depth)]
    while pending:
        current, left = pending.pop()
        for value in vars(current).values():
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                if id(item) in seen:
                    continue
                seen.add(id(item))
                if isinstance(item, ipywidgets.Widget):
                    found.append(item)
                elif left > 0 and hasattr(item, "__dict__") and _ours(item):
                    pending.append((item, left - 1))
    return found


def _ours(item: object) -> bool:
    """Whether ``item`` is one of the widgets package's parts (a panel, marks, a layer)."""
    return type(item).__module__.startswith("jaxgrad_widgets.widgets")


# ---------------------------------------------------------------------- the HTML parts
def _label(name: str) -> str:
    """An optimizer's name, with the registry's longer label when it says more."""
    label = OPTIMIZERS[name].label
    if label.lower() == name:
        return html.escape(label)
    return f"{html.escape(label)} <code>{html.escape(name)}</code>"


def _swatch(j: int) -> str:
    return f'<span class="jgw-swatch" style="background:{start_color(j)}"></span>'


def race_legend_html(r: Race) -> str:
    """Each optimizer's colour and name, in the race's order.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, race
        >>> r = race(Objective(lambda x: x**2), 1.0, ("sgd", "adam"), steps=10, tune=False)
        >>> race_legend_html(r).count("jgw-swatch")
        2
    """
    items = "".join(
        f'<span class="jgw-race-key" data-optimizer="{name}" style="margin-right:14px;'
        f'white-space:nowrap">{_swatch(j)} {_label(name)}</span>'
        for j, name in enumerate(r.names)
    )
    return f'<div class="jgw-race-legend" style="margin:2px 0 4px">{items}</div>'


def _rate_text(r: Race, name: str) -> str:
    source = r.rate_sources[name]
    if source == TUNED:
        how = "tuned"
    elif source == GIVEN:
        how = "given"
    elif r.tuned and r.sweeps[r.index(name)] is not None:
        how = "default: every rate diverged"
    else:
        how = "default"
    return f"{r.rates[name]:.3g} ({how})"


def race_table_html(r: Race) -> str:
    """The ranking: rank, optimizer (its colour), learning rate and how it was chosen,
    the step it reached the tolerance, and its final loss.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, race
        >>> r = race(Objective(lambda x: x**2), 1.0, ("sgd", "adam"), steps=100, tune=False)
        >>> table = race_table_html(r)
        >>> "jgw-race-table" in table, "0.05 (default)" in table, "did not converge" in table
        (True, True, True)
    """
    columns = ("rank", "optimizer", "learning rate", f"reached |grad| &lt; {r.tolerance:g}",
               "final loss")  # fmt: skip
    head = "".join(f"<th>{h}</th>" for h in columns)
    body = []
    losses = r.final_losses
    for rank, name in enumerate(r.ranking, start=1):
        j = r.index(name)
        if r.diverged_at[j] >= 0:
            state, color = "diverged", ERROR_COLOR
            reached, loss = f"diverged at step {int(r.diverged_at[j])}", "—"
        elif r.converged_at[j] >= 0:
            state, color = "ok", SUCCESS_COLOR
            reached, loss = f"step {int(r.converged_at[j])}", f"{losses[j]:.6g}"
        else:
            state, color = "moving", "inherit"
            reached, loss = "did not converge", f"{losses[j]:.6g}"
        body.append(
            f'<tr data-optimizer="{name}" data-state="{state}" data-rank="{rank}">'
            f"<td>{rank}</td><td>{_swatch(j)} {_label(name)}</td>"
            f"<td>{_rate_text(r, name)}</td>"
            f'<td class="jgw-outcome" style="color:{color}">{reached}</td><td>{loss}</td></tr>'
        )
    return (
        f'<table class="jgw-status-table jgw-race-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def race_note_html(r: Race, function: str = "the function") -> str:
    """How the rates were chosen, in a sentence, and any fallback the engine noted.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, race
        >>> r = race(Objective(lambda x: x**2), 1.0, ("sgd",), steps=10, tune=False)
        >>> "registry default" in race_note_html(r)
        True
    """
    sources = set(r.rate_sources.values())
    if TUNED in sources:
        sweep = next(s for s in r.sweeps if s is not None)
        low, high = float(sweep.rates.min()), float(sweep.rates.max())
        text = (
            f"Each tuned optimizer races at the best of {len(sweep.rates)} learning rates from "
            f"{low:g} to {high:g}, tried for it alone on {function} from this start for "
            f"{r.steps} steps (the lowest final loss, reached soonest): a rate that suits one "
            "optimizer can make another crawl or diverge, so one shared rate would decide "
            "the race before it starts."
        )
    elif sources == {GIVEN}:
        text = "Every optimizer races at the learning rate given for it."
    else:
        text = (
            "The optimizers race at their registry default learning rates; a default can "
            "favour one optimizer, so tune=True gives each its own best rate."
        )
    notes = "".join(f"<div>{html.escape(note)}</div>" for note in r.notes)
    return f'<div class="jgw-race-note" style="font-size:0.9em">{html.escape(text)}{notes}</div>'
