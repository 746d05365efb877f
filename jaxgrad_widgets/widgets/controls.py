"""Controls generated from the optimizer registry.

One dropdown for the optimizer, one slider per hyperparameter name found in the
registry (log sliders where the registry says log), shown only while the chosen
optimizer takes it, and a steps slider. The widget links them to its traits.

Example:
    >>> from jaxgrad_widgets.widgets.controls import OptimizerControls
    >>> c = OptimizerControls()
    >>> sorted(c.sliders)
    ['b1', 'b2', 'decay', 'learning_rate', 'momentum']
    >>> c.show_optimizer("adam")
    >>> [name for name, s in c.sliders.items() if s.layout.display != "none"]
    ['learning_rate', 'b1', 'b2']
"""

from __future__ import annotations

import math

import ipywidgets

from ..engine.optimizers import OPTIMIZERS, Hyperparameter, OptimizerSpec

#: The steps slider's range; Python may ask for more (up to the engine's limit).
STEPS_RANGE = (1, 5000)

_LABEL_WIDTH = "110px"


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
        style={"description_width": _LABEL_WIDTH},
        layout=ipywidgets.Layout(width="100%", max_width="460px"),
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


class OptimizerControls(ipywidgets.VBox):
    """The optimizer dropdown, its hyperparameter sliders and the steps slider.

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
            style={"description_width": _LABEL_WIDTH},
            layout=ipywidgets.Layout(width="100%", max_width="460px"),
        )
        self.sliders: dict[str, ipywidgets.ValueWidget] = {}
        for spec in OPTIMIZERS.values():
            for h in spec.hyperparameters:
                if h.name not in self.sliders:
                    self.sliders[h.name] = hyperparameter_slider(h)
        self.steps = ipywidgets.IntSlider(
            value=300,
            min=STEPS_RANGE[0],
            max=STEPS_RANGE[1],
            description="steps",
            continuous_update=True,
            style={"description_width": _LABEL_WIDTH},
            layout=ipywidgets.Layout(width="100%", max_width="460px"),
        )
        self._pushed: dict[str, float] = {}
        super().__init__(
            [self.optimizer, *self.sliders.values(), self.steps],
            layout=ipywidgets.Layout(flex="1 1 320px", min_width="280px"),
        )
        self.add_class("jgw-controls")

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
        for slider_name, slider in self.sliders.items():
            slider.layout.display = None if slider_name in taken else "none"

    def set_values(self, values: dict[str, float]) -> None:
        """Move the sliders to ``values`` (by hyperparameter name) without other effects.

        The browser snaps a value set from Python to the slider's grid and sends the
        snapped value back; :meth:`is_echo` recognises that answer so that
        ``w.learning_rate = 0.02`` stays 0.02 instead of becoming 0.01995.
        """
        for name, value in values.items():
            slider = self.sliders.get(name)
            if slider is not None and slider.value != value:
                slider.value = value
                # After the assignment: its own (Python-side) notification is not an echo.
                self._pushed[name] = float(value)

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
