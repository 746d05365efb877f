"""Controls generated from the optimizer registry.

One dropdown for the optimizer, one slider per hyperparameter name found in the
registry (log sliders where the registry says log) with a box beside it that shows and
takes the exact value, shown only while the chosen optimizer takes it, and a steps
slider. The widget links them to its traits. A hyperparameter's row is made the first
time an optimizer that takes it is chosen (or its slider is asked for): a dashboard
that stays with gradient descent never sends the others to the browser.

A slider's own readout would snap a typed value to the slider's grid (0.3 becomes
0.302 on a log slider): the box keeps what is typed, and the slider's knob goes to the
nearest position.

Example:
    >>> from jaxgrad_widgets.widgets.controls import OptimizerControls
    >>> c = OptimizerControls()
    >>> sorted(c.sliders), c.made()
    (['b1', 'b2', 'decay', 'learning_rate', 'momentum'], ['learning_rate'])
    >>> c.show_optimizer("adam")
    >>> [name for name, row in c.rows.items() if row in c.children]
    ['learning_rate', 'b1', 'b2']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import ipywidgets

from ..engine.minibatch import MAX_SEED
from ..engine.optimizers import HYPERPARAMETERS, OPTIMIZERS, Hyperparameter, OptimizerSpec
from .looks import layout, style

#: The steps slider's range; Python may ask for more (up to the engine's limit).
STEPS_RANGE = (1, 20000)

_LABEL_WIDTH = "110px"
#: The exact-value box beside a hyperparameter's slider.
ENTRY_WIDTH = "88px"


def format_value(value: float) -> str:
    """A hyperparameter's value as its box shows it: up to six significant digits.

    Example:
        >>> format_value(0.3), format_value(10 ** -1.29), format_value(0.999)
        ('0.3', '0.0512861', '0.999')
    """
    return f"{value:.6g}"


def hyperparameter_slider(h: Hyperparameter) -> ipywidgets.ValueWidget:
    """A slider for one registry hyperparameter: log-scaled where the registry says so.

    Example:
        >>> from jaxgrad_widgets.engine.optimizers import LEARNING_RATE
        >>> type(hyperparameter_slider(LEARNING_RATE)).__name__
        'FloatLogSlider'
    """
    common = dict(
        description=h.label,
        value=h.default,
        continuous_update=True,
        readout=False,  # the exact-value box beside it is the readout
        style=style(ipywidgets.FloatSlider, description_width=_LABEL_WIDTH),
        layout=layout(flex="1 1 auto", min_width="200px"),
        tooltip=h.description,
    )
    if h.log:
        return ipywidgets.FloatLogSlider(
            base=10,
            min=math.log10(h.low),
            max=math.log10(h.high),
            step=0.01,
            readout_format=".3g",
            **common,
        )
    return ipywidgets.FloatSlider(
        min=h.low, max=h.high, step=(h.high - h.low) / 1000, readout_format=".3f", **common
    )


class HyperparameterRow(NamedTuple):
    """One hyperparameter's slider, the box beside it, and the row that holds both."""

    slider: ipywidgets.ValueWidget
    entry: ipywidgets.Text
    box: ipywidgets.HBox


class _MadeOnDemand(Mapping[str, Any]):
    """Every registry hyperparameter's slider (or box, or row), made when asked for."""

    def __init__(self, controls: OptimizerControls, part: str) -> None:
        self._controls, self._part = controls, part

    def __getitem__(self, name: str) -> Any:
        if name not in HYPERPARAMETERS:
            raise KeyError(name)
        return getattr(self._controls.row(name), self._part)

    def __iter__(self) -> Iterator[str]:
        return iter(HYPERPARAMETERS)

    def __len__(self) -> int:
        return len(HYPERPARAMETERS)


class OptimizerControls(ipywidgets.VBox):
    """The optimizer dropdown, its hyperparameter sliders and the steps slider.

    ``sliders``, ``entries`` and ``rows`` map every registry hyperparameter to its
    slider, exact-value box and row, made the first time they are needed; ``on_row``
    hears of each row made (the controls panel listens to its slider and box).

    Example:
        >>> c = OptimizerControls()
        >>> c.optimizer.value, c.steps.value
        ('sgd', 300)
    """

    def __init__(self) -> None:
        self.optimizer = ipywidgets.Dropdown(
            options=[(spec.label, name) for name, spec in OPTIMIZERS.items()],
            value="sgd",
            description="optimizer",
            style=style(ipywidgets.Dropdown, description_width=_LABEL_WIDTH),
            layout=layout(width="100%", max_width="460px"),
        )
        self._rows: dict[str, HyperparameterRow] = {}
        self.on_row: Callable[[str, HyperparameterRow], None] | None = None
        self.sliders: Mapping[str, ipywidgets.ValueWidget] = _MadeOnDemand(self, "slider")
        #: Beside each slider: its value, exactly, and where a value is typed.
        self.entries: Mapping[str, ipywidgets.Text] = _MadeOnDemand(self, "entry")
        self.rows: Mapping[str, ipywidgets.HBox] = _MadeOnDemand(self, "box")
        self.steps = ipywidgets.IntSlider(
            value=300,
            min=STEPS_RANGE[0],
            max=STEPS_RANGE[1],
            description="steps",
            continuous_update=True,
            style=style(ipywidgets.IntSlider, description_width=_LABEL_WIDTH),
            layout=layout(width="100%", max_width="460px"),
        )
        self._pushed: dict[str, float] = {}
        # A layout of its own: the controls panel changes its flex beside sampling controls.
        super().__init__(
            [self.optimizer, self.rows["learning_rate"], self.steps],
            layout=ipywidgets.Layout(flex="1 1 320px", min_width="280px"),
        )
        self.add_class("jgw-controls")

    def row(self, name: str) -> HyperparameterRow:
        """Hyperparameter ``name``'s slider, box and row, made the first time."""
        made = self._rows.get(name)
        if made is None:
            h = HYPERPARAMETERS[name]
            entry = ipywidgets.Text(
                value=format_value(h.default), continuous_update=False,
                tooltip=f"the exact {h.label}: type a value and press Enter",
                style=style(ipywidgets.Text), layout=layout(width=ENTRY_WIDTH),
            )  # fmt: skip
            entry.add_class("jgw-entry")
            slider = hyperparameter_slider(h)
            box = ipywidgets.HBox([slider, entry], layout=layout(width="100%", max_width="460px"))
            made = self._rows[name] = HyperparameterRow(slider, entry, box)
            if self.on_row is not None:
                self.on_row(name, made)
        return made

    def made(self) -> list[str]:
        """The hyperparameters whose rows exist, in the registry's order."""
        return [name for name in HYPERPARAMETERS if name in self._rows]

    def show_optimizer(self, name: str, spec: OptimizerSpec | None = None) -> None:
        """Show the sliders the optimizer takes and hide the others.

        A custom optax transformation (not in the registry) has its hyperparameters
        baked in, so every slider is hidden and the dropdown shows it as 'custom'.
        """
        spec = spec or OPTIMIZERS[name]
        options = [(s.label, n) for n, s in OPTIMIZERS.items()]
        if name not in OPTIMIZERS:
            options.append((spec.label, name))
        if list(self.optimizer.options) != options:
            self.optimizer.options = options
        self.optimizer.value = name
        taken = {h.name for h in spec.hyperparameters}
        shown = [self.rows[n] for n in HYPERPARAMETERS if n in taken]
        children = (self.optimizer, *shown, self.steps)
        if tuple(self.children) != children:
            self.children = children

    def set_values(self, values: dict[str, float]) -> None:
        """Move the sliders to ``values`` (by hyperparameter name) without other effects.

        The browser snaps a value set from Python to the slider's grid and sends the
        snapped value back; :meth:`is_echo` recognises that answer so that
        ``w.learning_rate = 0.02`` stays 0.02 instead of becoming 0.01995.
        """
        for name, value in values.items():
            made = self._rows.get(name)
            if made is None:
                continue  # a row not made yet is made with the value shown then
            if made.slider.value != value:
                made.slider.value = value
                # After the assignment: its own (Python-side) notification is not an echo.
                self._pushed[name] = float(value)
            made.entry.value = format_value(value)

    def is_echo(self, name: str, value: float) -> bool:
        """Whether ``value`` from the browser is only its snapped copy of our last push.

        Example:
            >>> c = OptimizerControls()
            >>> c.set_values({"learning_rate": 0.02})
            >>> c.is_echo("learning_rate", 0.019953), c.is_echo("learning_rate", 0.019953)
            (True, False)
        """
        pushed = self._pushed.pop(name, None)
        if pushed is None:
            return False
        slider = self.sliders[name]
        if isinstance(slider, ipywidgets.FloatLogSlider):
            if pushed <= 0 or value <= 0:
                return False
            distance = abs(math.log(value, slider.base) - math.log(pushed, slider.base))
        else:
            distance = abs(value - pushed)
        return distance <= slider.step / 2 * 1.0001


def minibatch_options(rows: int) -> list[tuple[str, int]]:
    """The minibatch sizes offered for data of ``rows`` rows: all of it, then 1, 2, 4, ...

    0 stands for the whole data (the full gradient).

    Example:
        >>> minibatch_options(10)
        [('all 10 rows', 0), ('1 row', 1), ('2 rows', 2), ('4 rows', 4), ('8 rows', 8)]
    """
    options = [(f"all {rows:,} rows", 0)]
    size = 1
    while size < rows:
        options.append((f"{size:,} row{'s' if size != 1 else ''}", size))
        size *= 2
    return options


class SamplingControls(ipywidgets.HBox):
    """Minibatch size and seed, for a function with bound data (stochastic gradients).

    Example:
        >>> s = SamplingControls(1000)
        >>> s.batch.value, s.seed.value, s.batch.options[-1]
        (0, 0, ('512 rows', 512))
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.batch = ipywidgets.Dropdown(
            options=minibatch_options(rows),
            value=0,
            description="minibatch",
            tooltip="rows of data per step: fewer rows, noisier (stochastic) gradients",
            style=style(ipywidgets.Dropdown, description_width=_LABEL_WIDTH),
            layout=layout(width="260px"),
        )
        self.seed = ipywidgets.BoundedIntText(
            value=0,
            min=0,
            max=MAX_SEED,
            description="seed",
            tooltip="the same seed draws the same minibatches",
            style=style(ipywidgets.BoundedIntText, description_width="40px"),
            layout=layout(width="160px"),
        )
        super().__init__([self.batch, self.seed], layout=layout(width="100%", max_width="460px"))
        self.add_class("jgw-sampling")

    def show(self, batch_size: int, seed: int) -> None:
        """Show a size and seed set from Python (a size off the list is added to it)."""
        options = minibatch_options(self.rows)
        if batch_size not in {value for _, value in options}:
            options.append((f"{batch_size:,} rows", batch_size))
            options.sort(key=lambda option: option[1])
        if list(self.batch.options) != options:
            self.batch.options = options
        self.batch.value = batch_size
        self.seed.value = seed
