"""The controls panel: every control a user moves, turned into plain requests.

It holds the optimizer controls (generated from the registry), the minibatch and
seed controls when data is bound, the map's axis controls (view, lock, and the map's
parameters for a function of more than two), and the buttons. A control moved in
the browser becomes a call of one of the ``on_*`` callbacks with a checked value;
:meth:`show` moves the controls to the dashboard's state without calling them back.

Example:
    >>> c = ControlsPanel(("x", "y"), data_rows=None)
    >>> len(c.box.children)
    3
    >>> asked = []
    >>> c.on_steps = asked.append
    >>> c.optimizer.steps.value = 40
    >>> asked
    [40]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets

from ...engine.optimizers import HYPERPARAMETERS, OPTIMIZERS, OptimizerSpec
from ..controls import STEPS_RANGE, HyperparameterRow, OptimizerControls, SamplingControls
from ..inputs import clamp_value
from ..looks import layout, style

#: The controls' label width, shared with the optimizer controls.
WIDE = {"description_width": "110px"}
#: What the dashboard shows of a function of two or more parameters.
VIEWS = ("map", "surface", "both")


def _ignore(*_args: Any) -> None:
    """The default of every request: nobody asked."""


class ControlsPanel:
    """Optimizer, sampling and axis controls and the buttons, as requests and a view.

    ``names`` are the function's parameter names (one name: no axis controls);
    ``data_rows`` the rows of the bound data (None: no minibatch controls).

    Example:
        >>> c = ControlsPanel(("a", "b", "c"), data_rows=100)
        >>> c.dim_x.value, c.dim_y.value, c.sampling.batch.value  # map axes: a choice of 3
        (0, 1, 0)
    """

    def __init__(self, names: Sequence[str], data_rows: int | None) -> None:
        self.names = tuple(names)
        self.optimizer = OptimizerControls()
        self.sampling = SamplingControls(data_rows) if data_rows is not None else None
        self.log_toggle = ipywidgets.ToggleButton(
            value=False, description="log loss", tooltip="loss on a log scale",
            icon="line-chart", layout=layout(width="auto"), style=style(ipywidgets.ToggleButton),
        )  # fmt: skip
        self.sweep_toggle = ipywidgets.ToggleButton(
            value=False, description="rate sweep", icon="area-chart",
            tooltip="final loss at every learning rate of the slider, from every start",
            layout=layout(width="auto"), style=style(ipywidgets.ToggleButton),
        )  # fmt: skip
        # Basins need a map: a function of two or more parameters.
        self.basins_toggle = ipywidgets.ToggleButton(
            value=False, description="basins", icon="th",
            tooltip="colour every point of the map by the minimum a run from it reaches",
            layout=layout(width="auto"), style=style(ipywidgets.ToggleButton),
        ) if len(self.names) >= 2 else None  # fmt: skip
        # So do the Hessian's axes along the paths.
        self.curvature_toggle = ipywidgets.ToggleButton(
            value=False, description="curvature", icon="crosshairs",
            tooltip="the Hessian's axes at each current point: solid curving up, dashed down",
            layout=layout(width="auto"), style=style(ipywidgets.ToggleButton),
        ) if len(self.names) >= 2 else None  # fmt: skip
        self.remove_button = ipywidgets.Button(
            description="remove last start", icon="minus",
            layout=layout(width="auto"), style=style(ipywidgets.Button),
        )  # fmt: skip
        self.clear_button = ipywidgets.Button(
            description="keep first start only", icon="times",
            layout=layout(width="auto"), style=style(ipywidgets.Button),
        )  # fmt: skip
        self.axes = self._axis_controls()
        # Requests, set by the dashboard.
        self.on_optimizer: Callable[[str], None] = _ignore
        self.on_hyperparameter: Callable[[str, float], None] = _ignore
        self.on_typed: Callable[[str, str], None] = _ignore
        self.on_steps: Callable[[int], None] = _ignore
        self.on_sampling: Callable[[int, int], None] = _ignore
        self.on_lock: Callable[[int | None, Any], None] = _ignore
        self.on_dims: Callable[[tuple[int, int]], None] = _ignore
        self.on_view: Callable[[str], None] = _ignore
        self.on_log: Callable[[bool], None] = _ignore
        self.on_sweep: Callable[[bool], None] = _ignore
        self.on_basins: Callable[[bool], None] = _ignore
        self.on_curvature: Callable[[bool], None] = _ignore
        self.on_remove: Callable[[], None] = _ignore
        self.on_clear: Callable[[], None] = _ignore
        self._showing = False  # the controls are being moved to the state: no requests
        self._shown_steps = self.optimizer.steps.value
        self.box = self._layout()
        self._connect()

    # ------------------------------------------------------------------ layout
    def _axis_controls(self) -> ipywidgets.VBox:
        """Lock an axis (the robot) and, beyond two parameters, choose the map's axes."""
        self._lock_value: ipywidgets.FloatSlider | None = None
        if len(self.names) < 2:
            self.dim_x = self.dim_y = self.lock_axis = self.view = None
            return ipywidgets.VBox([], layout=layout())
        options = [(n, i) for i, n in enumerate(self.names)]
        wide = style(ipywidgets.Dropdown, **WIDE)
        # The map's parameters are a choice beyond two (two are the map's, always).
        self.dim_x = self.dim_y = None
        if len(self.names) > 2:
            self.dim_x = ipywidgets.Dropdown(options=options, value=0, description="map x",
                                             style=wide, layout=layout())  # fmt: skip
            self.dim_y = ipywidgets.Dropdown(options=options, value=1, description="map y",
                                             style=wide, layout=layout())  # fmt: skip
        self.lock_axis = ipywidgets.Dropdown(description="lock", style=wide, layout=layout())
        # The view goes beside the title (see the dashboard's layout), not among these.
        self.view = ipywidgets.ToggleButtons(
            options=[("map", "map"), ("3-D surface", "surface"), ("both", "both")],
            value="map", tooltips=["contour map", "3-D surface (WebGL)", "map and surface"],
            style=style(ipywidgets.ToggleButtons, button_width="auto"), layout=layout(),
        )  # fmt: skip
        self.view.add_class("jgw-view")
        # The lock's slider joins these while an axis is locked (show_axes).
        children = [self.lock_axis]
        if self.dim_x is not None:
            children = [self.dim_x, self.dim_y, *children]
        return ipywidgets.VBox(children, layout=layout(flex="1 1 300px"))

    @property
    def lock_value(self) -> ipywidgets.FloatSlider | None:
        """Where the locked axis is held (None without a map). Made the first time it
        is asked for: a dashboard nobody locks never sends it."""
        if self._lock_value is None and self.lock_axis is not None:
            self._lock_value = ipywidgets.FloatSlider(
                description="at", step=0.01, continuous_update=True,
                style=style(ipywidgets.FloatSlider, **WIDE), layout=layout(),
            )  # fmt: skip
            self._lock_value.observe(self._lock_moved, names="value")
        return self._lock_value

    def _layout(self) -> ipywidgets.HBox:
        """The controls laid out: optimizer (and sampling), axes, buttons; wrapping."""
        toggles = [self.log_toggle, self.sweep_toggle]
        toggles += [t for t in (self.basins_toggle, self.curvature_toggle) if t is not None]
        buttons = ipywidgets.VBox(
            [*toggles, self.remove_button, self.clear_button],
            layout=layout(flex="0 0 auto", align_items="flex-start"),
        )
        column: ipywidgets.Widget = self.optimizer
        if self.sampling is not None:
            # In a column, the controls' flex basis would be a height: they take their own.
            self.optimizer.layout.flex = "0 0 auto"
            column = ipywidgets.VBox(
                [self.optimizer, self.sampling],
                layout=layout(flex="1 1 320px", min_width="280px"),
            )
        return ipywidgets.HBox(
            [column, self.axes, buttons],
            layout=layout(width="100%", flex_flow="row wrap"),
        )

    # ------------------------------------------------------------------ requests
    def _connect(self) -> None:
        c = self.optimizer
        c.optimizer.observe(self._optimizer_moved, names="value")
        # Rows are made as optimizers need them: each is heard from when made.
        c.on_row = self._connect_row
        for name in c.made():
            self._connect_row(name, c.row(name))
        c.steps.observe(self._steps_moved, names="value")
        if self.sampling is not None:
            for control in (self.sampling.batch, self.sampling.seed):
                control.observe(self._sampling_moved, names="value")
        self.log_toggle.observe(lambda change: self._ask(self.on_log, bool(change["new"])),
                                names="value")  # fmt: skip
        self.sweep_toggle.observe(
            lambda change: self._ask(self.on_sweep, bool(change["new"])), names="value"
        )
        for toggle, request in ((self.basins_toggle, "on_basins"),
                                (self.curvature_toggle, "on_curvature")):  # fmt: skip
            if toggle is not None:
                toggle.observe(
                    lambda change, request=request: self._ask(getattr(self, request),
                                                              bool(change["new"])),
                    names="value",
                )  # fmt: skip
        self.remove_button.on_click(lambda _: self._ask(self.on_remove))
        self.clear_button.on_click(lambda _: self._ask(self.on_clear))
        if self.view is not None:
            self.lock_axis.observe(self._lock_moved, names="value")
            if self.dim_x is not None:
                self.dim_x.observe(self._dims_moved, names="value")
                self.dim_y.observe(self._dims_moved, names="value")
            self.view.observe(self._view_moved, names="value")

    def _connect_row(self, name: str, row: HyperparameterRow) -> None:
        row.slider.observe(self._hyperparameter_moved(name), names="value")
        row.entry.observe(self._value_typed(name), names="value")

    def _ask(self, request: Callable[..., None], *args: Any) -> None:
        if not self._showing:
            request(*args)

    def _optimizer_moved(self, change: dict[str, Any]) -> None:
        if change["new"] in OPTIMIZERS:
            self._ask(self.on_optimizer, change["new"])

    def _hyperparameter_moved(self, name: str) -> Callable[[dict[str, Any]], None]:
        def moved(change: dict[str, Any]) -> None:
            if self._showing:
                return
            value = self.hyperparameter_value(name, change["new"])
            if value is not None:
                self.on_hyperparameter(name, value)

        return moved

    def _value_typed(self, name: str) -> Callable[[dict[str, Any]], None]:
        def typed(change: dict[str, Any]) -> None:
            self._ask(self.on_typed, name, change["new"])

        return typed

    def hyperparameter_value(self, name: str, value: Any) -> float | None:
        """A slider's value from the browser, clamped to the registry's range; None when
        it only echoes (snapped to the slider's grid) a value Python set."""
        h = HYPERPARAMETERS.get(name)
        if h is None:
            return None
        value = h.clamp(value)
        return None if self.optimizer.is_echo(name, value) else value

    def _steps_moved(self, change: dict[str, Any]) -> None:
        value = clamp_value(change["new"], *STEPS_RANGE)
        # Python may ask for more steps than the slider shows: its maximum is then an echo.
        if value is not None and int(value) != self._shown_steps:
            self._ask(self.on_steps, int(value))

    def _sampling_moved(self, _change: dict[str, Any]) -> None:
        self._ask(self.on_sampling, self.sampling.batch.value, self.sampling.seed.value)

    def _lock_moved(self, _change: dict[str, Any]) -> None:
        axis = self.lock_axis.value
        axis = None if axis is None or axis < 0 else int(axis)
        # A new axis locks where the start is (the slider's value counts once it is shown).
        value = self._lock_value.value if self._lock_value is not None else None
        self._ask(self.on_lock, axis, value)

    def _dims_moved(self, _change: dict[str, Any]) -> None:
        self._ask(self.on_dims, (self.dim_x.value, self.dim_y.value))

    def _view_moved(self, change: dict[str, Any]) -> None:
        if change["new"] in VIEWS:
            self._ask(self.on_view, change["new"])

    # ------------------------------------------------------------------ the state
    def showing(self) -> _Showing:
        """A context in which moving the controls asks for nothing."""
        return _Showing(self)

    def show_optimizer(self, spec: OptimizerSpec, values: dict[str, float], steps: int) -> None:
        """The optimizer, its hyperparameters' sliders (only its own) and the steps."""
        with self.showing():
            name = spec.name if spec.name in OPTIMIZERS else "custom"
            self.optimizer.show_optimizer(name, spec)
            self.optimizer.set_values(values)
            # A custom transformation's rate is baked in: nothing to move or type.
            self.optimizer.sliders["learning_rate"].disabled = not spec.injectable
            self.optimizer.entries["learning_rate"].disabled = not spec.injectable
            self._shown_steps = int(min(max(steps, STEPS_RANGE[0]), STEPS_RANGE[1]))
            if self.optimizer.steps.value != self._shown_steps:
                self.optimizer.steps.value = self._shown_steps

    def show_sampling(self, batch_size: int, seed: int) -> None:
        if self.sampling is not None:
            with self.showing():
                self.sampling.show(batch_size, seed)

    def show_axes(
        self,
        dims: tuple[int, int],
        locked: tuple[int, float] | None,
        bounds: Sequence[tuple[float, float]],
        view: str,
    ) -> None:
        """The map's parameters, the lock (its axis, and its slider over the view) and view."""
        if self.view is None:
            return
        with self.showing():
            dx, dy = dims
            if self.dim_x is not None:
                self.dim_x.value, self.dim_y.value = dx, dy
            names = self.names
            options = [("none", -1), (f"{names[dx]} (move along {names[dy]})", dx),
                       (f"{names[dy]} (move along {names[dx]})", dy)]  # fmt: skip
            if list(self.lock_axis.options) != options:
                self.lock_axis.options = options
            axis = -1 if locked is None else locked[0]
            if self.lock_axis.value != axis:
                self.lock_axis.value = axis
            # The lock's value only means something while an axis is locked.
            if locked is not None:
                index, value = locked
                low, high = bounds[0 if index == dx else 1]
                slider = self.lock_value
                with slider.hold_trait_notifications():
                    slider.min, slider.max = min(low, value), max(high, value)
                    slider.value = value
            self._show_lock_value(locked is not None)
            if self.view.value != view:
                self.view.value = view

    def _show_lock_value(self, shown: bool) -> None:
        """The lock's slider under the lock's axis, or out of the controls."""
        others = [c for c in self.axes.children if c is not self._lock_value]
        children = [*others, self.lock_value] if shown else others
        if list(self.axes.children) != children:
            self.axes.children = children

    def show_start_count(self, count: int) -> None:
        """The start buttons only where they can act: not on the only start."""
        for button in (self.remove_button, self.clear_button):
            if button.disabled != (count <= 1):
                button.disabled = count <= 1

    def show_log(self, log: bool) -> None:
        with self.showing():
            if self.log_toggle.value != log:
                self.log_toggle.value = log

    def show_layers(self, sweep: bool, basins: bool, curvature: bool) -> None:
        """The sweep, basins and curvature toggles as the dashboard has them."""
        with self.showing():
            for toggle, value in ((self.sweep_toggle, sweep), (self.basins_toggle, basins),
                                  (self.curvature_toggle, curvature)):  # fmt: skip
                if toggle is not None and toggle.value != value:
                    toggle.value = value


class _Showing:
    """Moves of the controls made while it is entered ask for nothing (nestable)."""

    def __init__(self, panel: ControlsPanel) -> None:
        self.panel = panel

    def __enter__(self) -> None:
        self.previous = self.panel._showing
        self.panel._showing = True

    def __exit__(self, *_exc: object) -> None:
        self.panel._showing = self.previous
