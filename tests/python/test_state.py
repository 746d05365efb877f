"""The dashboard's state: one change at a time, whole or not at all, one descent for it.

Also the learning-rate family seen from Python: members equal single runs exactly, a
slider move to a member's value adopts it without recomputing, and the stage and the
scheduler count their loads and runs.
"""

import asyncio

import numpy as np
import optax
import pytest
from kernel_loop import in_kernel_loop

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import ObjectiveError, OptimizerError, trajectories
from jaxgrad_widgets.functions import goldfield
from jaxgrad_widgets.widgets import scheduler
from jaxgrad_widgets.widgets.player import unpack_wire
from jaxgrad_widgets.widgets.state import DescentState


def bowl3(a, b, c):
    return a**2 + 2 * b**2 + 3 * (c - 1) ** 2


def _counts(w):
    return w.scheduler.runs, w.stage.loads


def _snapshot(w):
    return (w.optimizer, w.learning_rate, dict(w.hyperparameters), w.steps, w.starts.copy(),
            dict(w.lock), w.map_dims, w.bounds, w.trajectory.copy(), w.player.revision,
            w.dim_x and w.dim_x.value, w.dim_y and w.dim_y.value,
            [a.label for a in w.figure.axes])  # fmt: skip


def _assert_same(before, after):
    for a, b in zip(before, after, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b


# ---------------------------------------------------------------------- the three bugs
def test_swapping_the_map_axes_under_a_lock_changes_everything_or_nothing():
    w = GradDescentWidget(goldfield, lock={"y": 1.2})
    runs, loads = _counts(w)
    w.map_dims = (1, 0)
    # Axes, view, lock and landscape all follow; no error on the way. (Two parameters:
    # no dropdowns to choose the map's, they are its two.)
    assert w.map_dims == (1, 0) and w.dim_x is None and w.dim_y is None
    assert [a.label for a in w.figure.axes] == ["y", "x"]
    assert w.map.x_scale.min == w.bounds[0][0] and w.map.y_scale.max == w.bounds[1][1]
    ratio = (w.bounds[0][1] - w.bounds[0][0]) / (w.bounds[1][1] - w.bounds[1][0])
    assert w.figure.min_aspect_ratio == w.figure.max_aspect_ratio == pytest.approx(ratio)
    assert w.lock == {"y": 1.2} and w.lock_axis.value == 1
    assert [label for label, _ in w.lock_axis.options][1] == "y (move along x)"
    # The landscape was drawn for the new axes: the heat map's x runs over y's view.
    assert float(w.map.heatmap.x[0]) == pytest.approx(w.bounds[0][0])
    np.testing.assert_allclose(w.map.lock_line.x, [1.2, 1.2])  # y is now horizontal
    assert "error" not in w.message and "aspect" not in w.message
    assert _counts(w) == (runs + 1, loads + 1)


def test_a_taller_then_wider_view_sets_the_aspect_ratio_in_either_order():
    w = GradDescentWidget(bowl3, start=(0.5, 0.5, 0.5), bounds=((-1, 1), (-4, 4)))
    assert w.figure.max_aspect_ratio == pytest.approx(0.25)
    w.map.set_bounds(((-4.0, 4.0), (-1.0, 1.0)))  # from a ratio of 0.25 to 4
    assert w.figure.min_aspect_ratio == w.figure.max_aspect_ratio == 4.0
    w.map.set_bounds(((-1.0, 1.0), (-4.0, 4.0)))
    assert w.figure.min_aspect_ratio == w.figure.max_aspect_ratio == 0.25


def test_a_new_optimizer_runs_the_descent_once_and_loads_once():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)])
    runs, loads = _counts(w)
    w.optimizer = "adam"
    assert _counts(w) == (runs + 1, loads + 1)
    assert w.hyperparameters == {"b1": 0.9, "b2": 0.999}
    # Swapping the map's axes under a lock: once too.
    w3 = GradDescentWidget(bowl3, start=(0.5, 0.5, 0.5), lock={"b": 0.2})
    runs, loads = _counts(w3)
    w3.map_dims = (1, 2)
    assert _counts(w3) == (runs + 1, loads + 1) and w3.lock == {"b": 0.2}
    w3.map_dims = (0, 2)  # b leaves the map: its lock goes with it, in the same change
    assert _counts(w3) == (runs + 2, loads + 2) and w3.lock == {}


@pytest.mark.parametrize("name", ["adam", "momentum"])
def test_any_optax_transformation_after_a_registry_name(name):
    w = GradDescentWidget(goldfield)
    w.optimizer = name
    custom = optax.sgd(0.05)
    w.optimizer = custom
    assert w.optimizer is custom
    assert w.controls.optimizer.value == "custom"
    assert w.controls.sliders["learning_rate"].disabled
    expected = trajectories(w.objective, custom, w.starts, w.steps, tol=w.tolerance)
    np.testing.assert_array_equal(w.trajectory, expected.params)
    w.optimizer = "sgd"  # and back
    assert w.controls.optimizer.value == "sgd" and not w.controls.sliders["learning_rate"].disabled


# ---------------------------------------------------------------------- whole or nothing
@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"steps": 0}, Exception, "steps=0: take at least 1 step"),
        ({"learning_rate": 0.1, "steps": -1}, Exception, "steps=-1"),
        (
            {"optimizer": "adam", "hyperparameters": {"b1": 2.0}},
            OptimizerError,
            "beta 1 = 2 is outside",
        ),
        ({"map_dims": ("a", "c"), "lock": {"b": 0.3}}, ObjectiveError, "one of the map's axes"),
        ({"starts": [[0.0, 0.0, 0.0]], "seed": -1}, ObjectiveError, "seed=-1"),
        ({"optimizer": None}, ObjectiveError, "optimizer cannot be None"),
        ({"colour": "red"}, ObjectiveError, "'colour' is not an input"),
    ],
)
def test_a_refused_change_leaves_everything_as_it_was(changes, error, message):
    w = GradDescentWidget(bowl3, start=(0.5, 0.5, 0.5))
    before, counts = _snapshot(w), _counts(w)
    with pytest.raises(error, match=message):
        w.apply(**changes)
    _assert_same(before, _snapshot(w))
    assert _counts(w) == counts


def test_a_refused_trait_keeps_the_old_value_and_the_browser_sees_a_message():
    w = GradDescentWidget(goldfield, lock={"y": 1.2})
    before = _snapshot(w)
    with pytest.raises(ObjectiveError, match="lock must name one of the map's axes"):
        w.lock = {"z": 1.0}
    _assert_same(before, _snapshot(w))
    # The same refused from a control in the browser: a message, no exception, no change.
    w.control_panel.on_dims((1, 1))
    assert w.message == "the map needs two different parameters"
    _assert_same(before, _snapshot(w))


def test_several_inputs_at_once_are_one_descent():
    w = GradDescentWidget(goldfield)
    runs, loads = _counts(w)
    w.apply(optimizer="momentum", learning_rate=0.02, hyperparameters={"momentum": 0.5},
            steps=120, starts=[(0.3, 0.2), (-0.4, 0.1)])  # fmt: skip
    assert _counts(w) == (runs + 1, loads + 1)
    assert (w.optimizer, w.learning_rate, w.hyperparameters["momentum"], w.steps) == (
        "momentum", 0.02, 0.5, 120,
    )  # fmt: skip
    expected = trajectories(w.objective, "momentum", w.starts, 120,
                            {"learning_rate": 0.02, "momentum": 0.5}, tol=w.tolerance)  # fmt: skip
    np.testing.assert_array_equal(w.trajectory, expected.params)
    # The controls show it.
    assert w.controls.optimizer.value == "momentum" and w.controls.steps.value == 120
    assert w.controls.sliders["momentum"].value == 0.5
    # Traits set together from Python are one change too.
    with w.hold_trait_notifications():
        w.steps, w.learning_rate = 80, 0.03
    assert _counts(w) == (runs + 2, loads + 2) and w.trajectory.shape == (2, 81, 2)


@pytest.mark.parametrize(
    "change",
    [
        {"learning_rate": 0.0713},
        {"steps": 77},
        {"starts": [(0.3, 0.3)]},
        {"hyperparameters": {"momentum": 0.4}},
        {"lock": {"x": 0.5}},
        {"seed": 3},
    ],
)
def test_every_input_change_is_one_descent_and_one_load(change):
    w = GradDescentWidget(goldfield, optimizer="momentum")
    runs, loads = _counts(w)
    name, value = next(iter(change.items()))
    setattr(w, name, value)
    assert _counts(w) == (runs + 1, loads + 1)


def test_the_state_alone_checks_and_derives():
    objective = GradDescentWidget(bowl3, start=(0, 0, 0)).objective
    state = DescentState(
        objective, bounds=((-1, 1), (-1, 1)), bounds_for=lambda dims, starts: ((0, 1),) * 2
    )
    state.commit(state.propose(lock={"a": 0.5}))
    proposal = state.propose(map_dims=("c", "b"))
    assert proposal.inputs.lock == {} and proposal.bounds == ((0, 1), (0, 1))
    assert state.inputs.lock == {"a": 0.5}  # proposing changes nothing
    key = state.key
    state.commit(state.propose(learning_rate=0.2))
    assert state.key == key  # the learning rate alone keeps the family's key
    state.commit(state.propose(steps=10))
    assert state.key == key + 1


# ---------------------------------------------------------------------- the family
def test_family_members_equal_single_runs_exactly():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-1.5, 0.3)], optimizer="adam",
                          learning_rate=0.05, lock={"y": 0.4})  # fmt: skip
    w.send_family()
    p = w.player
    family = unpack_wire(p.family_layout, p.family_data)
    assert p.family_control is w.controls.sliders["learning_rate"]
    assert p.family_key == p.run_key and len(p.family_values) == 41
    assert w.family.grid.index(0.05) is None  # 0.05 itself is between two positions
    for m, rate in enumerate(p.family_values):
        single = trajectories(w.objective, "adam", w.state.effective_starts, w.steps,
                              {"learning_rate": rate, "b1": 0.9, "b2": 0.999},
                              mask=[1.0, 0.0], tol=w.tolerance)  # fmt: skip
        np.testing.assert_array_equal(family["map.px"][m], single.params[:, :, 0])
        np.testing.assert_array_equal(family["loss.y"][m], single.loss)
        np.testing.assert_array_equal(family["slice.x"][m], single.params[:, :, 0])
        lengths = [single.valid_length(j) for j in range(2)]
        assert p.family_track_values[m]["map.lengths"] == lengths


def test_a_learning_rate_in_the_family_is_adopted_not_recomputed():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], learning_rate=0.05)
    w.send_family()
    slider = w.controls.sliders["learning_rate"]
    grid = w.family.grid
    rate = grid.value(grid.nearest(0.05) + 3)
    runs, loads = _counts(w)
    slider.value = rate  # what the browser sends after showing the member itself
    assert _counts(w) == (runs, loads + 1)
    assert w.learning_rate == rate and "from the learning-rate family" in w.message
    single = trajectories(w.objective, "sgd", w.starts, w.steps, {"learning_rate": rate},
                          tol=w.tolerance)  # fmt: skip
    np.testing.assert_array_equal(w.trajectory, single.params)
    np.testing.assert_array_equal(w.losses, single.loss)
    assert w.status[0]["summary"] == single.summary(0)
    assert w.player.run_value == rate
    # A rate between the positions goes through the kernel.
    w.learning_rate = 0.0321
    assert _counts(w) == (runs + 1, loads + 2)
    # Any other input makes a new key: the family no longer applies.
    key = w.player.run_key
    w.steps = 200
    assert w.player.run_key == key + 1 != w.player.family_key
    w.learning_rate = rate
    assert _counts(w)[0] == runs + 3  # recomputed: no family for 200 steps yet


def test_the_family_fits_its_byte_budget_and_reuses_what_it_holds():
    starts = np.random.default_rng(0).uniform(-1.9, 1.9, (16, 2))
    w = GradDescentWidget(goldfield, starts=starts, steps=1000, learning_rate=0.001)
    w.send_family()
    p = w.player
    members = len(p.family_values)
    member_bytes = len(p.family_data) // members
    assert member_bytes == 5 * 4 * 16 * 1001  # paths x, y, arrow tips x, y and the loss
    assert len(p.family_data) <= w.family.budget < (members + 1) * member_bytes
    held = dict(w.family._runs)
    grid = w.family.grid
    w.controls.sliders["learning_rate"].value = grid.value(grid.nearest(0.001) + 1)
    w.send_family()
    # Recentred by one position: one new member computed, the others kept.
    assert sum(run is held.get(i) for i, run in w.family._runs.items()) == members - 1


def test_the_family_is_planned_after_a_run_in_a_kernel_only():
    """Outside a kernel nothing is computed ahead; in one, the family follows each run
    once the kernel is idle, and a newer input drops a pending one."""
    w = GradDescentWidget(goldfield)
    assert not w.scheduler.pending("family") and w.player.family_values == []

    async def scenario():
        w.learning_rate = 0.02
        assert w.scheduler.pending("family")
        w.steps = 250  # before it ran: the newer input's family replaces it
        await asyncio.sleep(scheduler.SECONDARY_DELAY + 0.3)
        assert "computed in" in w.message, w.message
        assert w.player.family_key == w.player.run_key and len(w.player.family_values) == 41

    in_kernel_loop(scenario)
