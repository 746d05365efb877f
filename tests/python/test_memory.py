"""Memory over a long session: closed widgets are forgotten, live ones share kernels."""

import gc
import sys
import warnings
import weakref

import ipywidgets
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.engine import NotJittableWarning
from jaxgrad_widgets.engine.shared import shared_objective
from jaxgrad_widgets.functions import goldfield, polynomial
from jaxgrad_widgets.widgets import looks

SCALE = 1.0


def scaled_bowl(x, y):
    return x**2 + SCALE * y**2


def _registry_ids():
    """The ids of the registered widgets, but for shared looks (which outlive dashboards)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return {k for k, w in ipywidgets.Widget.widgets.items() if not looks.is_shared(w)}


@pytest.mark.parametrize(
    "make",
    [
        lambda: GradDescentWidget(goldfield, steps=20),
        lambda: GradDescentWidget(polynomial, steps=20),
        lambda: DerivativeWidget(polynomial, order=2),
    ],
    ids=["map", "curve", "derivative"],
)
def test_close_forgets_every_widget_made(make):
    before = _registry_ids()
    widget = make()
    ref = weakref.ref(widget)
    widget.close()
    del widget
    gc.collect()
    assert _registry_ids() - before == set()
    assert ref() is None


def test_widgets_of_one_function_share_their_objective():
    first, second = GradDescentWidget(goldfield, steps=20), GradDescentWidget(goldfield, steps=30)
    assert first.objective is second.objective
    assert DerivativeWidget(polynomial).objective is DerivativeWidget(polynomial).objective


def test_different_bound_values_do_not_share():
    def mse(w, data):
        return ((data - w) ** 2).mean()

    a = shared_objective(mse, fixed={"data": np.array([1.0, 3.0])})
    assert shared_objective(mse, fixed={"data": np.array([1.0, 3.0])}) is a  # equal content
    assert shared_objective(mse, fixed={"data": np.array([1.0, 5.0])}) is not a
    assert shared_objective(mse, fixed={"data": jnp.array([1.0, 3.0])}) is not a


def test_a_changed_global_builds_a_fresh_objective(monkeypatch):
    first = shared_objective(scaled_bowl)
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 3.0)
    second = shared_objective(scaled_bowl)
    assert second is not first
    assert float(second.value([1.0, 1.0])) == 4.0


def test_data_changed_in_place_builds_a_fresh_objective():
    data = np.array([1.0, 3.0], np.float32)

    def mean_sq(w):
        return ((data - w) ** 2).mean()

    first = shared_objective(mean_sq)
    data[:] = 5.0
    second = shared_objective(mean_sq)
    assert second is not first
    assert float(second.value([5.0])) == 0.0


def test_an_objective_that_cannot_be_jitted_is_not_shared():
    def absolute(x):
        return x if x > 0 else -x

    for _ in range(2):  # built, and warned about, every time
        with pytest.warns(NotJittableWarning):
            shared_objective(absolute)
