"""Shared looks: a dashboard's layouts and styles are kernel-wide models, not its own.

Measured with GradDescentWidget(goldfield) in a fresh kernel: 181 models before the
shared looks (56 Layouts, 7 SliderStyles, 6 HTMLStyles, ...), 127 after; a second
dashboard in the same kernel made 181 before, 105 after (it reuses every look).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import ipywidgets
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets import Companion, DerivativeWidget, GradDescentWidget, RaceWidget
from jaxgrad_widgets.functions import gaussian_negloglike, goldfield, polynomial
from jaxgrad_widgets.widgets import looks
from jaxgrad_widgets.widgets.formula_box import FormulaBox

#: Models made by GradDescentWidget(goldfield), the first in a kernel (with the shared
#: looks), the next one (adam: three hyperparameter rows) and a third (sgd). Before the
#: looks were shared, 181 each; then lazy rows, slice, surface and boxes, the progress
#: in HTML, one unit scale for every figure, the map's notes in one HTML, and the
#: basins' picture, lock line and slider, saddles', maxima's and the loss notes' marks
#: made on first use.
FIRST_DASHBOARD, SECOND_DASHBOARD, THIRD_DASHBOARD = 72, 58, 52


def _reachable(root: ipywidgets.Widget) -> Iterator[tuple[ipywidgets.Widget, str, object]]:
    """Every (widget, trait name, value) reachable through synced traits, as close_tree
    walks them."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for name in current.keys:
            value = getattr(current, name, None)
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, ipywidgets.Widget):
                    yield current, name, item
                    pending.append(item)


def _private_looks(root: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    """The widgets that have a layout or style of their own."""
    return [owner for owner, name, value in _reachable(root)
            if name in ("layout", "style") and not looks.is_shared(value)]  # fmt: skip


def _shared_looks(root: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    return [value for _, name, value in _reachable(root)
            if name in ("layout", "style") and looks.is_shared(value)]  # fmt: skip


def _own_looks_of(w: GradDescentWidget) -> set[int]:
    """The dashboard's widgets that keep a look of their own: the one resized by the code
    (the optimizer column) and the figures users are told to customise."""
    return {id(x) for x in (w.controls, w.figure, w.loss_figure)}


#: A new kernel: the first dashboard makes the shared looks, the second reuses them.
COUNT = """
import json, warnings
warnings.simplefilter("ignore")
from ipywidgets import Widget
from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
from jaxgrad_widgets.widgets.looks import is_shared
made = []
for options in ({}, {"starts": [(0.5, -1.0)], "optimizer": "adam"}, {}):
    before = set(Widget.widgets)
    GradDescentWidget(goldfield, **options)
    new = [w for k, w in Widget.widgets.items() if k not in before]
    made.append([len(new), sum(is_shared(w) for w in new)])
print(json.dumps(made))
"""


def test_a_dashboard_makes_fewer_models_and_the_next_fewer_still():
    done = subprocess.run([sys.executable, "-c", COUNT], capture_output=True, text=True,
                          timeout=300, check=True)  # fmt: skip
    made = json.loads(done.stdout.splitlines()[-1])
    (first, first_looks), (second, second_looks), (third, third_looks) = made
    assert first <= FIRST_DASHBOARD and first_looks > 0, made
    assert second <= SECOND_DASHBOARD and second_looks == 0, made
    assert third <= THIRD_DASHBOARD and third_looks == 0, made
    assert third < second < first


LAYERS = dict(show_sweep=True, show_basins=True, show_curvature=True, view="both")


@pytest.mark.parametrize(
    ("f", "layers"), [(goldfield, {}), (polynomial, {}), (goldfield, LAYERS)],
    ids=["map", "curve", "every-layer"],
)  # fmt: skip
def test_only_the_widgets_that_change_have_looks_of_their_own(f, layers):
    w = GradDescentWidget(f, steps=30)
    try:
        for name, value in layers.items():  # the sweep, basins, axes and 3-D view made
            setattr(w, name, value)
        if layers:
            assert w.surface in w._surface_box.children and w.sweep_task.panel is not None
        private = _private_looks(w)
        assert {id(x) for x in private} <= _own_looks_of(w), [type(x).__name__ for x in private]
    finally:
        w.close()


def test_data_and_companion_dashboards_share_their_looks_too():
    data = np.linspace(-5.0, -1.0, 200)

    def density(xs, mu, log_sigma):
        return jnp.exp(-0.5 * ((xs - mu) / jnp.exp(log_sigma)) ** 2)

    w = GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=(-6.0, 0.7),
                          steps=30, companion=Companion.histogram(data, density))  # fmt: skip
    try:
        assert w.sampling is not None and w.companion_view is not None
        assert w.controls.layout.flex == "0 0 auto"  # beside the sampling controls
        private = _private_looks(w)
        assert {id(x) for x in private} <= _own_looks_of(w), [type(x).__name__ for x in private]
    finally:
        w.close()


def test_other_widgets_keep_only_their_figures_looks():
    derivative = DerivativeWidget(polynomial, order=2)
    race = RaceWidget(goldfield, optimizers=("sgd", "adam"), steps=50, tune=False)
    box = FormulaBox("x**2 + y**2", steps=20)
    try:
        own = {id(f) for f in derivative.figures}
        assert {id(x) for x in _private_looks(derivative)} <= own
        assert {id(x) for x in _private_looks(race)} <= {id(race.figure), id(race.loss_figure)}
        assert {id(x) for x in _private_looks(box)} <= _own_looks_of(box.dashboard)
    finally:
        for widget in (derivative, race, box):
            widget.close()


def test_closing_a_dashboard_leaves_the_shared_looks_open():
    w = GradDescentWidget(goldfield, steps=30)
    shared = _shared_looks(w)
    assert shared and all(looks.is_shared(look) for look in shared)
    w.close()
    assert w.comm is None and w.title.comm is None
    assert all(look.comm is not None for look in shared)
    again = GradDescentWidget(goldfield, steps=30)
    try:
        assert isinstance(again.status[0]["summary"], str)
        assert set(map(id, _shared_looks(again))) <= set(map(id, shared))  # the same looks
    finally:
        again.close()


def test_showing_and_hiding_changes_only_looks_of_their_own():
    w = GradDescentWidget(goldfield, steps=30)
    try:
        w.optimizer = "adam"
        assert w.controls.rows["b1"] in w.controls.children
        assert w.controls.rows["momentum"] not in w.controls.children
        w.lock = {"y": 0.5}
        assert w.lock_value in w.control_panel.axes.children
        w.lock = {}
        assert w.lock_value not in w.control_panel.axes.children
        w.status_panel.show_progress(0.5)
        assert w.progress == 0.5 and 'value="0.5"' in w.status_line.value
        w.status_panel.show_progress(None)
        assert w.progress is None and "<progress" not in w.status_line.value
        w.figure.layout.height = "300px"  # a user resizing the map
        w.loss_figure.layout.height = "200px"
    finally:
        w.close()


def test_a_shared_look_refuses_a_change():
    with pytest.raises(AttributeError, match="shared look"):
        looks.layout(width="100%").display = "none"
