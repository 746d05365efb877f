"""The optimizer race: the engine's rates, paths and ranking, and the RaceWidget."""

import warnings

import ipywidgets
import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget, RaceWidget
from jaxgrad_widgets.engine import (
    OPTIMIZERS,
    DescentConfigError,
    JaxGradError,
    Objective,
    ObjectiveError,
    OptimizerError,
    Race,
    descent_for,
    race,
)
from jaxgrad_widgets.engine.race import RACE_OPTIMIZERS, ranking_of
from jaxgrad_widgets.engine.sweep import learning_rate_sweep
from jaxgrad_widgets.functions import goldfield, polynomial, rosenbrock
from jaxgrad_widgets.widgets.palette import START_COLORS

START = (0.1, 0.1)
STEPS = 300


@pytest.fixture(scope="module")
def objective():
    return Objective(goldfield)


@pytest.fixture(scope="module")
def tuned(objective):
    return race(objective, START, steps=STEPS)


def _run(objective, name, rate, steps=STEPS, start=START):
    hyper = {**OPTIMIZERS[name].defaults(), "learning_rate": rate}
    return descent_for(objective, name).run(np.asarray([start], np.float32), steps, hyper)


def test_each_path_is_the_single_run_at_its_rate_bit_for_bit(objective, tuned):
    assert isinstance(tuned, Race)
    assert tuned.names == RACE_OPTIMIZERS
    assert tuned.trajectory.shape == (6, STEPS + 1, 2) and tuned.losses.shape == (6, STEPS + 1)
    for j, name in enumerate(tuned.names):
        single = _run(objective, name, tuned.rates[name])
        assert np.array_equal(tuned.trajectory[j], single.params[0]), name
        assert np.array_equal(tuned.losses[j], single.loss[0]), name
        assert tuned.converged_at[j] == single.converged_at[0]
        assert tuned.diverged_at[j] == single.diverged_at[0]
        assert np.array_equal(tuned.runs[j].params, single.params)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_each_path_is_what_the_dashboard_shows_at_that_rate(tuned, name):
    rate = tuned.rates[name]
    w = GradDescentWidget(goldfield, start=START, optimizer=name, learning_rate=rate, steps=STEPS)
    try:
        assert w.learning_rate == rate
        assert np.array_equal(w.trajectory[0], tuned.trajectory[tuned.index(name)])
    finally:
        w.close()


def test_tuning_picks_each_optimizers_sweep_best_rate(objective, tuned):
    assert tuned.tuned
    for j, name in enumerate(tuned.names):
        spec = OPTIMIZERS[name]
        lr = spec.hyperparameter("learning_rate")
        grid = np.geomspace(lr.low, lr.high, 121)
        sweep = learning_rate_sweep(objective, name, [START], STEPS, spec.defaults(), rates=grid)
        assert tuned.rates[name] == float(sweep.best_rate[0]), name
        assert tuned.rate_sources[name] == "tuned"
        assert np.array_equal(tuned.sweeps[j].rates, grid)
        assert lr.low <= tuned.rates[name] <= lr.high
    # A fair race: every tuned optimizer reaches a minimum on goldfield.
    assert (tuned.converged_at >= 0).all() and (tuned.diverged_at < 0).all()
    assert tuned.notes == ()


def test_ranking_follows_convergence_then_final_loss_then_divergence(tuned):
    order = [tuned.converged_at[tuned.index(n)] for n in tuned.ranking]
    assert order == sorted(order)
    assert set(tuned.ranking) == set(tuned.names)
    # The rule on its own: converged by step (ties by loss), moving by loss, diverged last
    # (the later it diverged, the higher).
    names = ["a", "b", "c", "d", "e", "f"]
    converged = [-1, 40, 40, -1, 5, -1]
    diverged = [-1, -1, -1, 10, -1, 30]
    loss = [0.5, 2.0, 1.0, np.nan, 3.0, 0.1]
    assert ranking_of(names, converged, diverged, loss) == ("e", "c", "b", "a", "f", "d")


def test_a_diverging_rate_ranks_last(objective):
    r = race(objective, START, ("sgd", "adam", "momentum"), steps=200,
             rates={"sgd": 1.0, "momentum": 0.001})  # fmt: skip
    assert r.diverged_at[0] >= 0 and r.ranking[-1] == "sgd"
    assert r.outcome("sgd").startswith("diverged at step")
    assert r.rate_sources == {"sgd": "given", "adam": "tuned", "momentum": "given"}
    assert r.rates["sgd"] == 1.0 and r.rates["momentum"] == 0.001


def test_without_tuning_every_optimizer_takes_its_registry_default(objective):
    r = race(objective, START, steps=100, tune=False)
    assert not r.tuned
    assert r.rates == {n: OPTIMIZERS[n].defaults()["learning_rate"] for n in RACE_OPTIMIZERS}
    assert set(r.rate_sources.values()) == {"default"}
    assert r.sweeps == (None,) * 6
    for j, name in enumerate(r.names):
        assert np.array_equal(r.trajectory[j], _run(objective, name, r.rates[name], 100).params[0])


def test_rates_and_other_hyperparameters_are_used_as_given(objective):
    r = race(objective, START, ("momentum", "adam"), steps=150, tune=False,
             rates={"Adam": 0.02}, hyper={"momentum": {"momentum": 0.5}})  # fmt: skip
    assert r.rates == {"momentum": 0.01, "adam": 0.02}
    hyper = {"learning_rate": 0.01, "momentum": 0.5}
    single = descent_for(objective, "momentum").run([START], 150, hyper)
    assert np.array_equal(r.trajectory[0], single.params[0])


def test_every_rate_diverging_falls_back_to_the_default_with_a_note():
    # So steep that gradient descent is only stable below 1e-8, under the range's 1e-5.
    def steep(x, y):
        return 1e8 * (x**2 + y**2)

    r = race(Objective(steep), (1.0, 1.0), ("sgd",), steps=200, candidates=5)
    assert r.rate_sources["sgd"] == "default"
    assert r.rates["sgd"] == OPTIMIZERS["sgd"].defaults()["learning_rate"]
    assert len(r.notes) == 1 and "every learning rate" in r.notes[0]
    assert r.diverged_at[0] >= 0


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(optimizers=()), OptimizerError, "at least one optimizer"),
        (dict(optimizers=("sgd", "fast")), OptimizerError, "unknown optimizer 'fast'"),
        (dict(optimizers=("sgd", "SGD")), OptimizerError, "twice"),
        (dict(optimizers=(1,)), OptimizerError, "registry names"),
        (dict(rates={"adam": 0.1}, optimizers=("sgd",)), OptimizerError, "not racing"),
        (dict(rates={"sgd": 100.0}), OptimizerError, "outside the allowed range"),
        (dict(rates={"sgd": float("nan")}), OptimizerError, "finite"),
        (dict(hyper={"sgd": {"learning_rate": 0.1}}), OptimizerError, "rates="),
        (dict(hyper={"momentum": {"momentum": 2.0}}), OptimizerError, "outside"),
        (dict(candidates=1), OptimizerError, "candidates"),
        (dict(steps=0), DescentConfigError, "at least 1 step"),
        (dict(steps=2.5), DescentConfigError, "whole number"),
        (dict(start=(np.nan, 0.1)), DescentConfigError, "finite"),
        (dict(start=(0.1, 0.1, 0.1)), DescentConfigError, "one point of 2 numbers"),
    ],
)
def test_bad_inputs_are_refused_in_one_sentence(objective, kwargs, error, words):
    args = {"start": START, "steps": 50, **kwargs}
    with pytest.raises(error) as caught:
        race(objective, **args)
    message = str(caught.value)
    assert words in message and "\n" not in message and "Traceback" not in message


# ---------------------------------------------------------------------- the widget
@pytest.fixture(scope="module")
def widget():
    w = RaceWidget(goldfield, start=START, optimizers=("sgd", "momentum", "adam"), steps=STEPS)
    yield w
    w.close()


def test_the_widget_shows_the_engines_race(widget, objective):
    expected = race(objective, START, ("sgd", "momentum", "adam"), steps=STEPS)
    assert widget.rates == expected.rates
    assert widget.ranking == expected.ranking
    assert np.array_equal(widget.trajectory, expected.trajectory)
    assert np.array_equal(widget.losses, expected.losses)
    assert widget.result.names == ("sgd", "momentum", "adam")


def test_the_player_holds_one_member_per_optimizer(widget):
    player = widget.player
    assert player.track_values["map.lengths"] == [STEPS + 1] * 3
    assert player.track_values["loss.lengths"] == [STEPS + 1] * 3
    assert player.buffers["map.px"]["shape"] == [3, STEPS + 1]
    assert player.n_frames == STEPS + 1
    # Each optimizer in its colour, in START_COLORS order, on the paths and the loss curves.
    assert list(widget.map.paths.colors) == list(START_COLORS[:3])
    assert list(widget.loss_view.lines.colors) == list(START_COLORS[:3])
    # The paths as Python holds them are the race's.
    np.testing.assert_array_equal(widget.map.paths.x, widget.trajectory[:, :, 0])


def test_the_table_and_legend_name_every_optimizer_with_its_rate(widget):
    table = widget.table.value
    assert "jgw-race-table" in table
    for name in ("sgd", "momentum", "adam"):
        assert f'data-optimizer="{name}"' in table
        assert f"{widget.rates[name]:.3g} (tuned)" in table
        assert f'data-optimizer="{name}"' in widget.legend.value
    rows = [table.index(f'data-optimizer="{n}"') for n in widget.ranking]
    assert rows == sorted(rows)
    assert "step " in table and "Optimizer race" in widget.title.value
    assert "best of 121 learning rates" in widget.note.value


def test_the_widget_uses_a_known_functions_defaults():
    w = RaceWidget(rosenbrock, optimizers=("adam",), tune=False)
    try:
        assert w.map.bounds == tuple(rosenbrock.jaxgrad_info.bounds)
        assert np.array_equal(w.trajectory[0, 0], np.float32(rosenbrock.jaxgrad_info.start))
        assert "(default)" in w.table.value
    finally:
        w.close()


def test_a_function_of_one_parameter_races_on_its_curve():
    w = RaceWidget(polynomial, optimizers=("sgd", "adam"), steps=100, tune=False)
    try:
        assert w.trajectory.shape == (2, 101, 1)
        assert w.player.track_values["curve.lengths"] == [101, 101]
    finally:
        w.close()


def test_an_unknown_function_gets_a_view_of_the_start_and_where_the_runs_end():
    def bowl(a, b, c):
        return (a - 1) ** 2 + 3 * (b + 2) ** 2 + c**2

    w = RaceWidget(bowl, start=(0.3, 0.3, 0.5), optimizers=("sgd", "adam"), steps=200)
    try:
        (x_low, x_high), (y_low, y_high) = w.map.bounds
        assert x_low < 0.3 < 1 < x_high and y_low < -2 < 0.3 < y_high
        assert "c = 0.5 held" in w.map.notes["held"] and w.map.notes.widget in w._map_box.children
        assert w.trajectory.shape == (2, 201, 3)
    finally:
        w.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(optimizers=("sgd", "warp")), OptimizerError, "unknown optimizer 'warp'"),
        (dict(optimizers=()), OptimizerError, "at least one optimizer"),
        (dict(start=(float("inf"), 0.0)), ObjectiveError, "finite"),
        (dict(start=(0.1,)), ObjectiveError, "start"),
        (dict(steps=-3), DescentConfigError, "at least 1 step"),
        (dict(rates={"adam": 0.0}), OptimizerError, "outside the allowed range"),
    ],
)
def test_the_widget_refuses_bad_inputs_in_one_sentence(kwargs, error, words):
    with pytest.raises(error) as caught:
        RaceWidget(goldfield, **{"steps": 50, "tune": False, **kwargs})
    assert isinstance(caught.value, JaxGradError)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def _registry_ids():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return set(ipywidgets.Widget.widgets)


def test_the_widget_closes_every_widget_it_made():
    before = _registry_ids()
    w = RaceWidget(goldfield, optimizers=("sgd", "adam"), steps=50, tune=False)
    made = _registry_ids() - before
    assert len(made) > 10
    w.close()
    assert w.comm is None and w.player.comm is None and w.map.figure.comm is None
    assert not (_registry_ids() & made)


def test_a_refused_widget_leaves_no_widget_open():
    before = _registry_ids()
    with pytest.raises(OptimizerError):
        RaceWidget(goldfield, optimizers=("sgd", "warp"), steps=50)
    assert _registry_ids() <= before
