"""A catalogue of the mistakes a student can make, and what each one shows.

Every case states its intent in one line, asserts the exact message (or what the
widget shows: ``w.message``, ``w.status``, the status table) and, where a widget
exists, that a later valid change still recomputes. The engine's own messages for
Objective, steps and hyperparameters are covered in test_objective.py and
test_descent.py; here they are met through the widgets a student actually uses.
"""

import functools
import math
import types
import warnings

import jax.numpy as jnp
import numpy as np
import optax
import pytest
import traitlets

from jaxgrad_widgets import DerivativeWidget, GradDescentWidget, Player, SurfaceView
from jaxgrad_widgets.engine import (
    DescentConfigError,
    NotJittableWarning,
    Objective,
    ObjectiveError,
    OptimizerError,
    classify_point,
    final_points,
    grid_values,
    trajectories,
)
from jaxgrad_widgets.functions import goldfield, polynomial
from jaxgrad_widgets.widgets.controls import STEPS_RANGE

BOX = [(-2.0, 2.0), (-2.0, 2.0)]
VALID_OPTIMIZERS = "adagrad, adam, momentum, nesterov, newton, rmsprop, saddle_free_newton, sgd"


# ---------------------------------------------------------------------- helpers
def _error(kind, build):
    """The message of the error ``build()`` raises, which must be of ``kind``."""
    with pytest.raises(kind) as err:
        build()
    return str(err.value)


def _gold(**kwargs):
    options = dict(starts=[(0.1, 0.1), (-0.1, -0.1)], learning_rate=0.05, steps=50)
    return GradDescentWidget(goldfield, **{**options, **kwargs})


def _assert_recomputes(w, rate=0.0123):
    """A learning-rate message from the browser recomputes with that rate (sgd widgets)."""
    rate = rate if not math.isclose(w.learning_rate, rate) else 2 * rate
    w.controls.sliders["learning_rate"].set_state({"value": rate})
    assert w.learning_rate == rate
    assert w.message.startswith(f"gradient descent, learning rate {rate:.4g}, {w.steps} steps")
    expected = trajectories(
        w.objective, "sgd", w.starts, w.steps, {"learning_rate": rate}, tol=w.tolerance
    )
    np.testing.assert_array_equal(w.trajectory, expected.params)


def _prefix_lengths(w):
    """Each start's drawn path length: the map's path track refers to a value of the run."""
    (track,) = [t for t in w.player.tracks if t["kind"] == "lines" and t["x"] == "map.px"]
    return w.player.track_values[track["lengths"]["$"]]


# ---------------------------------------------------------------------- bad functions
def _no_arguments():
    return 1.0


def _three(x, y, z):
    return x * y * z


def _scaled(x, *, scale):
    return scale * x**2


def _pair(x, y):
    return jnp.stack([x, y])


def _complex(x, y):
    return x + 1j * y


def _text(x, y):
    return "steep"


def _forgot_return(x, y):
    x**2 + y**2


def _rounded(x, y):
    return jnp.round(x * y).astype(jnp.int32)


def _factorial(n):
    return float(math.factorial(n))


def _not_loaded(x, y):
    raise ValueError("data not loaded: call load() first")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # Wrong arity: nothing to optimise.
        (
            lambda: GradDescentWidget(_no_arguments),
            "_no_arguments has no free argument to optimise: every parameter is bound or has "
            "a default; pass argnums=... to choose one",
        ),
        # Wrong arity: a third argument neither chosen nor bound.
        (
            lambda: GradDescentWidget(_three, argnums=(0, 1)),
            "_three takes 3 arguments (x, y, z) but 'z' is neither optimised nor bound: "
            "pass z=... or include it in argnums",
        ),
        # A keyword-only parameter left without a value.
        (
            lambda: DerivativeWidget(_scaled),
            "_scaled's keyword-only parameter 'scale' needs a value: pass scale=...",
        ),
        # A vector instead of one number.
        (
            lambda: GradDescentWidget(_pair),
            "_pair returned an array of shape (2,); the objective must return a single real "
            "number (sum it, average it or pick one element)",
        ),
        # A complex number.
        (
            lambda: GradDescentWidget(_complex),
            "_complex returned a complex number; the objective must return a single real "
            "number (take abs() or .real of it)",
        ),
        # A string.
        (
            lambda: GradDescentWidget(_text),
            "_text returned a string ('steep'); the objective must return a single real number",
        ),
        # A missing return statement.
        (
            lambda: GradDescentWidget(_forgot_return),
            "_forgot_return returned None; the objective must return a single real number "
            "(is a `return` missing?)",
        ),
        # Integer output has no gradient.
        (
            lambda: GradDescentWidget(_rounded),
            "_rounded returned an integer (int32); an objective must compute with real numbers "
            "to have a gradient: avoid int(), round() and // on its arguments",
        ),
        # A function defined only for integers (the hint about vectors is JAX's wording).
        (
            lambda: DerivativeWidget(_factorial),
            "_factorial raised TypeError: Only integer scalar arrays can be converted to a "
            "scalar index. (evaluated at n=0.3); if an argument is a vector, give a start "
            "with its size, e.g. start=[0.0, 0.0]",
        ),
        # The student's own exception keeps its message.
        (
            lambda: GradDescentWidget(_not_loaded),
            "_not_loaded raised ValueError: data not loaded: call load() first "
            "(evaluated at x=0.3, y=0.3)",
        ),
        # argnums beyond a one-argument function.
        (
            lambda: GradDescentWidget(polynomial, argnums=5),
            "argnums=(5,) is out of range: polynomial takes 1 positional argument (x), so each "
            "argnum must be between 0 and 0",
        ),
        # argnums naming the same argument twice.
        (
            lambda: DerivativeWidget(polynomial, argnums=(0, 0)),
            "argnums=(0, 0) names an argument twice; list each one once",
        ),
    ],
)
def test_a_function_that_cannot_be_optimised_is_explained(build, message):
    assert _error(ObjectiveError, build) == message


def test_binding_the_keyword_only_parameter_fixes_it():
    """The fix the message suggests works."""
    w = DerivativeWidget(_scaled, scale=2.0, x=1.0, bounds=(-2, 2))
    assert w.values == {"f": 2.0, "f′": 4.0, "f″": 4.0}


# ---------------------------------------------------------------------- non-finite values
def _nowhere(x, y):
    return jnp.nan * (x + y)


def test_nan_everywhere_shows_the_start_diverged_at_step_zero():
    """f returns NaN: no crash; the start is shown diverged at step 0, nothing is drawn."""
    w = GradDescentWidget(_nowhere, start=(0.5, -0.5), bounds=BOX, steps=50)
    (row,) = w.status
    assert (row["summary"], row["state"], row["hint"]) == (
        "not finite at the start",
        "diverged",
        "",
    )
    assert row["final_point"] == (0.5, -0.5) and math.isnan(row["loss"])
    assert 'data-state="diverged"' in w.status_table.value
    assert ">not finite at the start</td>" in w.status_table.value
    assert _prefix_lengths(w) == [0]  # no path segment
    assert w.minima.shape == (0, 2) and len(w.map.contours.x) == 1  # no minima, no contours
    assert w.message.startswith("gradient descent, learning rate 0.01, 50 steps from 1 start")
    _assert_recomputes(w)
    assert w.status[0]["summary"] == "not finite at the start"


def test_nan_everywhere_in_the_derivative_widget():
    """f returns NaN: the readout shows nan, no critical points, dragging still works."""
    w = DerivativeWidget(lambda x: jnp.nan * x, x=0.5, bounds=(-2, 2))
    assert math.isnan(w.values["f"]) and math.isnan(w.values["f′"])
    assert w.critical_points == []
    w.marker._handle_custom_msg({"event": "drag", "index": 0, "point": {"x": 1.5}}, [])
    assert w.x == 1.5 and 'data-x="1.5"' in w.readout.value


def _spike(x):
    return 1.0 / x**2


def test_infinite_at_the_start_is_diverged_at_step_zero_until_moved():
    """f is infinite at the start: diverged at step 0; dragging the start away recovers."""
    w = GradDescentWidget(_spike, start=0.0, bounds=(-2.0, 2.0), steps=20)
    assert w.status[0]["summary"] == "not finite at the start"
    assert w.status[0]["loss"] == math.inf
    w.map.starts._handle_custom_msg({"event": "drag", "index": 0, "point": {"x": 1.0, "y": 0}}, [])
    assert w.trajectory[0, 0, 0] == 1.0
    assert w.status[0]["summary"] == "still moving after 20 steps"
    np.testing.assert_allclose(w.map.starts.y, [1.0])  # the marker is back on the curve


def _vee(x, y):
    return jnp.abs(x) + jnp.abs(y)


def test_a_kink_uses_jax_gradient_convention():
    """abs at 0 works: JAX's gradient there is +1, so descent steps off the kink and back
    (to and fro: the summary says it oscillates)."""
    w = GradDescentWidget(_vee, start=(0.0, 0.0), bounds=BOX, steps=4, learning_rate=0.1)
    np.testing.assert_allclose(w.result.grad[0, 0], [1.0, 1.0])
    np.testing.assert_allclose(w.trajectory[0, :, 0], [0.0, -0.1, 0.0, -0.1, 0.0], atol=1e-6)
    assert w.status[0]["summary"] == "oscillating after 4 steps"
    # The Hessian test sees a gradient of norm sqrt(2): the minimum is "not critical".
    assert classify_point(w.objective, [0.0, 0.0]).kind == "not critical"
    _assert_recomputes(w)


def test_a_kink_in_the_derivative_widget():
    """f′(0) = 1 for abs; the sign change of f′ at 0 is listed with an undetermined kind."""
    w = DerivativeWidget(lambda x: jnp.abs(x), x=0.0, bounds=(-2, 2))
    assert w.values == {"f": 0.0, "f′": 1.0, "f″": 0.0}
    ((where, kind),) = w.critical_points
    assert abs(where) < 1e-6 and kind == "undetermined"


# ---------------------------------------------------------------------- control flow
def _hinge(x):
    if x > 0:
        return x**2
    return -x


def test_python_if_runs_unjitted_with_a_warning_in_the_widget():
    """Python `if` on the argument: a NotJittableWarning, and the widget still descends."""
    with pytest.warns(NotJittableWarning) as caught:
        w = GradDescentWidget(_hinge, start=2.0, bounds=(-3.0, 3.0), steps=5, learning_rate=0.25)
    assert str(caught[0].message) == (
        "_hinge cannot be compiled with jax.jit (Attempted boolean conversion of traced array "
        "with shape bool[].); it will run un-jitted, which is much slower. Python `if`, int() "
        "or float() on its arguments cause this: use jnp.where instead."
    )
    assert not w.objective.jittable
    np.testing.assert_allclose(w.trajectory[0, :, 0], [2.0, 1.0, 0.5, 0.25, 0.125, 0.0625])
    _assert_recomputes(w)


def test_python_if_in_the_derivative_widget():
    """DerivativeWidget should evaluate an un-jittable function point by point."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJittableWarning)
        w = DerivativeWidget(_hinge, x=1.0, bounds=(-2, 2))
    assert w.values == {"f": 1.0, "f′": 2.0, "f″": 2.0}


# ---------------------------------------------------------------------- bounds and starts
@pytest.mark.parametrize(
    ("build", "message"),
    [
        # An inverted map.
        (
            lambda: GradDescentWidget(goldfield, bounds=[(2, -2), (-2, 2)]),
            "bounds (2, -2) are inverted or have zero width; the low end must be smaller than "
            "the high end",
        ),
        # A zero-width curve.
        (
            lambda: GradDescentWidget(polynomial, bounds=(1, 1)),
            "bounds (1, 1) are inverted or have zero width; the low end must be smaller than "
            "the high end",
        ),
        # An inverted derivative plot.
        (
            lambda: DerivativeWidget(polynomial, bounds=(3, -3)),
            "bounds (3, -3) are inverted or have zero width; the low end must be smaller than "
            "the high end",
        ),
        # Infinite bounds.
        (
            lambda: GradDescentWidget(goldfield, bounds=[(-np.inf, 2), (-2, 2)]),
            "bounds must be finite numbers, got (-inf, 2.0)",
        ),
        # grid_values checks its bounds the same way.
        (
            lambda: grid_values(Objective(goldfield), [(0, 0), (-1, 1)]),
            "bounds (0, 0) are inverted or have zero width; the low end must be smaller than "
            "the high end",
        ),
    ],
)
def test_bad_bounds_are_explained(build, message):
    assert _error(DescentConfigError, build) == message


def test_a_start_outside_the_map_is_kept_until_the_browser_echoes_the_markers():
    """Python may start off the map; a click then clamps that start onto the map's edge."""
    w = _gold(starts=None, start=(3.0, -3.0), bounds=BOX)
    np.testing.assert_array_equal(w.starts, [[3.0, -3.0]])
    np.testing.assert_array_equal(w.trajectory[0, 0], [3.0, -3.0])
    assert (w.map.starts.x.tolist(), w.map.starts.y.tolist()) == ([3.0], [-3.0])  # off view
    # A click adds a start: the browser sends every marker, and each is clamped to the map.
    w.map.starts.set_state({"x": [3.0, 0.5], "y": [-3.0, 0.5]})
    np.testing.assert_array_equal(w.starts, [[2.0, -2.0], [0.5, 0.5]])
    assert w.trajectory.shape == (2, 51, 2)


def test_a_derivative_x_outside_the_plot_is_clamped_to_its_edge():
    """DerivativeWidget(x=100) starts at the edge of its bounds instead."""
    assert DerivativeWidget(polynomial, x=100.0).x == 3.5


@pytest.mark.parametrize(
    ("starts", "message"),
    [
        ([(0.0, math.nan)], "starts must be finite numbers (no NaN or infinity)"),
        ([(0.0, 0.0)] * 17, "17 starts is more than this widget's maximum of 16"),
        (
            [(1.0, 2.0, 3.0)],
            "the start (1.0, 2.0, 3.0) does not fit goldfield: it optimises "
            "2 arguments (x, y), so give one value for each",
        ),
    ],
)
def test_bad_starts_are_explained(starts, message):
    assert _error(ObjectiveError, lambda: GradDescentWidget(goldfield, starts=starts)) == message


def test_empty_starts_are_explained():
    """starts=[] should say 'starts is empty; give at least one start'."""
    assert _error(ObjectiveError, lambda: GradDescentWidget(goldfield, starts=[])) == (
        "starts is empty; give at least one start"
    )


def test_non_finite_starts_are_refused_by_final_points():
    """final_points refuses NaN starts like trajectories does."""
    message = _error(
        DescentConfigError,
        lambda: final_points(Objective(goldfield), "sgd", [[0.0, math.inf]], 10),
    )
    assert message == "every start must be a finite number (no NaN or infinity)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mask": [1.0, 0.0, 1.0]}, "mask must have one entry per parameter (2), got (3,)"),
        ({"tol": -1.0}, "tol must be a finite number >= 0, not -1.0"),
        ({"tol": math.nan}, "tol must be a finite number >= 0, not nan"),
    ],
)
def test_bad_mask_and_tolerance_are_explained(kwargs, message):
    build = lambda: trajectories(Objective(goldfield), "sgd", [[0.1, 0.1]], 10, **kwargs)  # noqa: E731
    assert _error(DescentConfigError, build) == message


def test_bad_tolerance_in_the_widget_is_explained():
    """GradDescentWidget(tol=nan) says what tol must be."""
    assert _error(DescentConfigError, lambda: _gold(tol=math.nan)) == (
        "tol must be a finite number >= 0, not nan"
    )


def test_a_lock_outside_the_map_is_kept():
    """lock={'y': 3.0} on a map of y in [-2, 2] should hold y at 3.0 as asked."""
    w = _gold(lock={"y": 3.0}, bounds=BOX)
    assert w.lock == {"y": 3.0}


# ---------------------------------------------------------------------- learning rate
@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (-0.1, "learning rate = -0.1 is outside the allowed range [1e-05, 10]"),
        (0.0, "learning rate = 0 is outside the allowed range [1e-05, 10]"),
        (math.nan, "learning rate must be a finite number, not nan"),
        (math.inf, "learning rate must be a finite number, not inf"),
    ],
)
def test_bad_learning_rates_are_explained_and_leave_the_widget_working(rate, message):
    assert _error(OptimizerError, lambda: _gold(learning_rate=rate)) == message
    w = _gold()
    assert _error(OptimizerError, lambda: setattr(w, "learning_rate", rate)) == message
    assert w.learning_rate == 0.05
    _assert_recomputes(w)


@pytest.mark.parametrize(
    ("sent", "shown"),
    [(-0.1, 1e-5), (0.0, 1e-5), (1e9, 10.0), (math.nan, 0.01)],
)
def test_bad_learning_rates_from_the_browser_are_clamped(sent, shown):
    """The slider clamps into [1e-5, 10]; NaN falls back to the registry default."""
    w = _gold()
    w.controls.sliders["learning_rate"].set_state({"value": sent})
    assert w.learning_rate == pytest.approx(shown)
    assert w.message.startswith(f"gradient descent, learning rate {shown:.4g}")
    _assert_recomputes(w)


# ---------------------------------------------------------------------- steps
@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (0, "steps=0: take at least 1 step"),
        (-5, "steps=-5: take at least 1 step"),
        (100_001, "steps=100001 is more than the maximum of 100000"),
    ],
)
def test_bad_steps_are_explained_and_leave_the_widget_working(steps, message):
    assert _error(DescentConfigError, lambda: _gold(steps=steps)) == message
    w = _gold()
    assert _error(DescentConfigError, lambda: setattr(w, "steps", steps)) == message
    assert w.steps == 50 and w.trajectory.shape == (2, 51, 2)
    _assert_recomputes(w)


def test_steps_from_the_browser_are_clamped_to_the_slider():
    """0 becomes 1 step, a huge number the slider's maximum."""
    w = _gold()
    w.controls.steps.set_state({"value": 0})
    assert w.steps == 1 and w.trajectory.shape == (2, 2, 2)
    w.controls.steps.set_state({"value": 10**12})
    assert w.steps == STEPS_RANGE[1] and w.player.n_frames == STEPS_RANGE[1] + 1


def test_python_may_ask_for_more_steps_than_the_slider_shows():
    """w.steps = 30000 runs 30000 steps; the slider stops at its maximum."""
    w = _gold()
    w.steps = 30000
    assert w.trajectory.shape == (2, 30001, 2)
    assert w.controls.steps.value == STEPS_RANGE[1]
    _assert_recomputes(w)


# ---------------------------------------------------------------------- optimizers
@pytest.mark.parametrize("name", ["adamw", "", "gradient descent"])
def test_unknown_optimizer_names_list_the_valid_ones(name):
    message = (
        f"unknown optimizer '{name}'; choose one of: {VALID_OPTIMIZERS} "
        "(or pass an optax.GradientTransformation)"
    )
    assert _error(OptimizerError, lambda: _gold(optimizer=name)) == message
    w = _gold()
    assert _error(OptimizerError, lambda: setattr(w, "optimizer", name)) == message
    assert w.optimizer == "sgd"
    _assert_recomputes(w)


def test_optimizer_names_ignore_case_and_spaces():
    """' Adam ' is Adam."""
    w = _gold(optimizer=" Adam ")
    assert w.optimizer == "adam" and w.controls.optimizer.value == "adam"


@pytest.mark.parametrize(
    ("optimizer", "kind"),
    [(object(), "an object"), (optax.sgd, "a function"), (0.1, "a float"), (["sgd"], "a list")],
)
def test_objects_that_are_not_optimizers_are_explained(optimizer, kind):
    """The factory optax.sgd (not optax.sgd(0.1)), a number, a list: each is named."""
    message = (
        f"optimizer must be a name ({VALID_OPTIMIZERS}) or an optax.GradientTransformation "
        f"such as optax.adam(0.01), not {kind}"
    )
    assert _error(OptimizerError, lambda: _gold(optimizer=optimizer)) == message
    w = _gold()
    assert _error(OptimizerError, lambda: setattr(w, "optimizer", optimizer)) == message
    _assert_recomputes(w)


def test_an_invalid_dropdown_index_is_refused_and_changes_nothing():
    """The browser can only pick an existing entry; ipywidgets refuses any other index."""
    w = _gold()
    with pytest.raises(traitlets.TraitError, match="Invalid selection: index out of bounds"):
        w.controls.optimizer.set_state({"index": 99})
    assert w.optimizer == "sgd" and w.controls.optimizer.value == "sgd"
    w.controls.optimizer.set_state({"index": 5})
    assert w.optimizer == "adam" and w.message.startswith("Adam, learning rate 0.05")


@pytest.mark.parametrize("name", ["optimizer", "starts"])
def test_none_is_refused_and_the_widget_keeps_working(name):
    """w.optimizer = None / w.starts = None must be refused and leave the widget as it was."""
    w = _gold()
    with pytest.raises((OptimizerError, ObjectiveError, traitlets.TraitError, IndexError)):
        setattr(w, name, None)
    assert getattr(w, name) is not None
    _assert_recomputes(w)


def _update_without_params(updates, state):
    return updates, state


BROKEN_UPDATE = (
    "the optimizer's update(updates, state, params) raised TypeError: _update_without_params() "
    "takes 2 positional arguments but 3 were given; an optax transformation needs "
    "init(params) -> state and update(updates, state, params) -> (updates, state)"
)


def test_a_broken_optax_transformation_is_explained():
    """An update(updates, state) without params should be refused in plain words."""
    broken = optax.GradientTransformation(lambda params: (), _update_without_params)
    assert _error(OptimizerError, lambda: _gold(optimizer=broken)) == BROKEN_UPDATE


def test_a_broken_optax_transformation_set_later_is_refused_and_changes_nothing():
    """The same object assigned to a working widget is refused; the widget keeps working."""
    w = _gold()
    broken = optax.GradientTransformation(lambda params: (), _update_without_params)
    assert _error(OptimizerError, lambda: setattr(w, "optimizer", broken)) == BROKEN_UPDATE
    assert w.optimizer == "sgd" and w.controls.optimizer.value == "sgd"
    _assert_recomputes(w)


@pytest.mark.parametrize(
    ("hyper", "error", "message"),
    [
        ({"momentum": 2.0}, OptimizerError, "momentum = 2 is outside the allowed range [0, 0.999]"),
        (
            {"beta": 0.5},
            ObjectiveError,
            "unknown hyperparameter 'beta'; known ones are: b1, b2, decay, learning_rate, momentum",
        ),
        (
            {"learning_rate": 0.1},
            ObjectiveError,
            "set the learning rate with w.learning_rate, not here",
        ),
    ],
)
def test_bad_hyperparameters_are_explained(hyper, error, message):
    w = _gold(optimizer="momentum")
    assert _error(error, lambda: setattr(w, "hyperparameters", hyper)) == message
    assert w.hyperparameters == {"momentum": 0.9}


# ---------------------------------------------------------------------- widget parameters
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_starts": 0}, "max_starts must be a whole number from 1 to 64, not 0"),
        ({"max_starts": 2.5}, "max_starts must be a whole number from 1 to 64, not 2.5"),
        ({"dims": ("x", "x")}, "dims must be two different parameters"),
        (
            {"start": (0, 0), "starts": [(0, 0)]},
            "give either start=(...) for one start or starts=[...], not both",
        ),
    ],
)
def test_bad_widget_parameters_are_explained(kwargs, message):
    assert _error(ObjectiveError, lambda: GradDescentWidget(goldfield, **kwargs)) == message


def test_an_out_of_range_frame_from_python_is_clamped():
    """w.frame = -1 should mean the first frame, as it does for the Player."""
    w = _gold()
    w.frame = -1
    assert w.frame == w.player.frame == 0
    np.testing.assert_array_equal(w.current_points(), w.trajectory[:, 0])


# ---------------------------------------------------------------------- derivative widget
def test_a_nan_x_is_refused_and_the_widget_keeps_working():
    """DerivativeWidget.x = nan is refused in words; a later drag still moves the tangent."""
    w = DerivativeWidget(polynomial, x=1.0)
    assert _error(ObjectiveError, lambda: setattr(w, "x", math.nan)) == (
        "x must be a finite number, not nan"
    )
    assert w.x == 1.0
    w.marker._handle_custom_msg({"event": "drag_end", "point": {"x": 0.0, "y": 5}}, [])
    assert w.values["f′"] == 4.0


@pytest.mark.parametrize("point", [{"y": 2.0}, {"x": 10**400}])
def test_a_drag_without_a_usable_x_is_ignored(point):
    """A drag whose point lacks 'x', or whose x overflows a float, is ignored like garbage."""
    w = DerivativeWidget(polynomial, x=1.0)
    w._on_drag(w.marker, {"event": "drag", "point": point})
    assert w.x == 1.0


@pytest.mark.parametrize("state", [{"frame": 10**400}, {"camera": {"zoom": 10**400}}])
def test_a_surface_state_beyond_float_range_is_ignored(state):
    """An integer too large for a float keeps the previous frame and camera."""
    s = SurfaceView()
    s.set_state(state)
    assert (s.frame, s.camera["zoom"]) == (0, 1.0)


def test_a_two_parameter_function_with_a_bad_bound_keyword_is_explained():
    """Binding a parameter that does not exist names the ones that do."""
    assert _error(ObjectiveError, lambda: DerivativeWidget(goldfield, z=1.0)) == (
        "goldfield has no parameter named 'z'; its parameters are: x, y"
    )


# ---------------------------------------------------------------------- surface and player
def test_surface_view_refuses_an_unknown_colormap_and_sanitises_a_camera():
    s = SurfaceView()
    with pytest.raises(traitlets.TraitError, match="expected any of"):
        s.colormap = "jet"
    assert s.colormap == "viridis"
    s.set_camera(elevation=math.nan, azimuth=1e300, zoom=100.0)
    assert s.camera == {"elevation": 20.0, "azimuth": s.camera["azimuth"], "zoom": 4.0}
    assert -180.0 <= s.camera["azimuth"] < 180.0


def test_surface_view_with_nothing_finite():
    """An all-NaN landscape and all-NaN paths: shipped as they are, nothing to draw."""
    s = SurfaceView()
    s.set_landscape([0.0, 1.0], [0.0, 1.0], np.full((2, 2), np.nan))
    assert s.z_clip == [0.0, 1.0] and s.grid["shape"] == [2, 2]
    s.set_paths(np.full((1, 3, 2), np.nan), np.full((1, 3), np.nan))
    assert s.lengths == [0]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"frame": -5}, {"frame": 0}),
        ({"frame": 10**30}, {"frame": 9}),
        ({"speed": 1e9}, {"speed": 2000.0}),
        ({"speed": 0.0}, {"speed": 1.0}),
        ({"n_frames": -3}, {"n_frames": 1}),
    ],
)
def test_player_states_from_the_browser_are_clamped(state, expected):
    p = Player()
    p.load(10, {}, [])
    p.set_state(state)
    assert {name: getattr(p, name) for name in expected} == expected


def test_fewer_frames_bring_the_frame_back_into_range():
    p = Player()
    p.load(10, {}, [])
    p.set_state({"n_frames": 3})
    assert p.frame == 2


@pytest.mark.parametrize(
    "state", [{"frame": 3.5}, {"frame": None}, {"speed": "fast"}, {"playing": "yes"}]
)
def test_player_states_of_the_wrong_type_are_refused_whole(state):
    """ipywidgets refuses a wrong-typed value (the kernel logs it); the Player is unchanged."""
    p = Player()
    p.load(10, {}, [])
    p.frame = 4
    with pytest.raises(traitlets.TraitError):
        p.set_state({"playing": True, **state} if "playing" not in state else state)
    assert (p.frame, p.speed, p.playing) == (4, 60.0, False)


def test_a_nan_speed_from_the_browser_keeps_the_previous_speed():
    p = Player()
    p.set_state({"speed": math.nan})
    assert p.speed == 60.0


# ---------------------------------------------------------------------- engine utilities
def test_grid_values_turn_non_finite_values_into_nan_and_clamp_the_resolution():
    """log of a negative is NaN on the grid; the resolution is kept within [2, 400]."""
    objective = Objective(lambda x, y: jnp.log(x) + y)
    grid = grid_values(objective, [(-1.0, 1.0), (0.0, 1.0)], resolution=10**9)
    assert grid.values.shape == (400, 400)
    assert np.isnan(grid.values[:, grid.xs <= 0]).all()
    assert np.isfinite(grid.values[:, grid.xs > 0]).all()
    assert grid_values(objective, [(1.0, 2.0), (0.0, 1.0)], resolution=-3).values.shape == (2, 2)


def test_classify_point_of_a_nan_function_is_degenerate():
    """Nothing is known about a NaN landscape: the kind says so instead of raising."""
    point = classify_point(Objective(_nowhere), [0.0, 0.0])
    assert point.kind == "degenerate" and math.isnan(point.value)


def test_classify_point_of_the_wrong_size_is_explained():
    assert _error(ObjectiveError, lambda: classify_point(Objective(polynomial), [1.0, 2.0])) == (
        "a point of polynomial needs 1 number (x), got 2"
    )


def test_a_partial_with_everything_bound_is_explained():
    """functools.partial binding every argument leaves nothing to optimise."""
    bound = functools.partial(goldfield, x=1.0, y=1.0)
    assert _error(ObjectiveError, lambda: GradDescentWidget(bound)) == (
        "goldfield has no free argument to optimise: every parameter is bound or has a "
        "default; pass argnums=... to choose one"
    )


def test_a_namespace_with_init_and_update_is_not_checked_before_use():
    """Documented: duck typing accepts any object with callable init and update."""
    fake = types.SimpleNamespace(init=lambda params: (), update=lambda g, s, p: (g, s))
    w = _gold(optimizer=fake)  # it adds the raw gradient: ascent, so it diverges
    assert w.optimizer is fake and w.controls.optimizer.value == "custom"
    assert w.controls.sliders["learning_rate"].disabled
    assert w.status[0]["state"] == "diverged"


# ---------------------------------------------------------------------- optax transformations
@pytest.mark.parametrize(
    "tx",
    [
        optax.chain(optax.clip(0.1), optax.sgd(0.05)),
        optax.inject_hyperparams(optax.adam)(learning_rate=0.05),
        optax.MultiSteps(optax.sgd(0.05), 2),
    ],
    ids=["chain", "inject_hyperparams", "MultiSteps"],
)
def test_real_optax_transformations_pass_the_check(tx):
    """The up-front check of a custom transformation lets every real optax one through."""
    w = _gold(optimizer=tx)
    assert w.optimizer is tx and w.controls.optimizer.value == "custom"
    assert w.status[0]["state"] != "diverged"


def test_an_optax_transformation_needing_extra_arguments_is_explained():
    """reduce_on_plateau's update needs value=...; the descent cannot give it."""
    message = _error(OptimizerError, lambda: _gold(optimizer=optax.contrib.reduce_on_plateau()))
    assert message.startswith("the optimizer's update(updates, state, params) raised TypeError")
    assert message.endswith(
        "missing 1 required keyword-only argument: 'value'; an optax transformation needs "
        "init(params) -> state and update(updates, state, params) -> (updates, state)"
    )


def test_an_update_that_reshapes_its_state_is_explained():
    """A compiled loop carries the state: it must keep the structure init gave it."""
    growing = types.SimpleNamespace(init=lambda params: (), update=lambda g, s, p: (g, (s, s)))
    assert _error(OptimizerError, lambda: _gold(optimizer=growing)) == (
        "the optimizer's update(updates, state, params) returned a state of another structure "
        "than init(params) made; each step must return the state in the shape it received"
    )


# ---------------------------------------------------------------------- poles
def test_a_derivative_widget_on_a_pole_warns_nothing_and_hides_the_tangent():
    """At x = 0 of 1/x there is no tangent: no inf - inf RuntimeWarning either."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        w = DerivativeWidget(lambda x: 1 / x, x=0.0, bounds=(-1, 1))
        assert w.values == {"f": math.inf, "f′": -math.inf, "f″": math.inf}
        assert not w.tangent.visible
        w.x = 0.5
    assert w.tangent.visible
    np.testing.assert_array_equal(w.tangent.y, [8.0, 0.0])
