"""Basins of attraction: labels, minima, divergence, saddles, masks, row blocks, errors."""

import math
import warnings

import numpy as np
import pytest

from jaxgrad_widgets.engine import DescentConfigError, Objective, ObjectiveError, final_points
from jaxgrad_widgets.engine.basins import (
    BASIN_RADIUS,
    MAX_CLUSTERS,
    UNJITTABLE_BASINS_RESOLUTION,
    BasinsJob,
    basins_of_attraction,
    cell_centres,
    cluster_representatives,
    grid_side,
    nearest_minimum,
)
from jaxgrad_widgets.functions import goldfield

BOX = ((-2.0, 2.0), (-2.0, 2.0))
RATE = {"learning_rate": 0.05}


@pytest.fixture(scope="module")
def gold():
    return Objective(goldfield)


@pytest.fixture(scope="module")
def gold_map(gold):
    return basins_of_attraction(gold, "sgd", BOX, 500, RATE, resolution=64)


def _cell(basins, x, y):
    return int(np.argmin(np.abs(basins.ys - y))), int(np.argmin(np.abs(basins.xs - x)))


def _index_of(basins, point):
    distance = np.linalg.norm(basins.minima - np.asarray(point), axis=1)
    assert distance.min() < 1e-3, f"no minimum at {point}: {basins.minima}"
    return int(np.argmin(distance))


def test_goldfield_has_two_minima_in_a_stable_order(gold_map):
    assert gold_map.labels.shape == (64, 64) and gold_map.labels.dtype == np.int16
    assert gold_map.steps.shape == (64, 64) and gold_map.steps.dtype == np.int32
    assert gold_map.minima.shape == (2, 2) and gold_map.minimum_points.shape == (2, 2)
    # Sorted by x then y: (-1, -1) first.
    np.testing.assert_allclose(gold_map.minima, [[-1, -1], [1, 1]], atol=1e-4)
    assert gold_map.total_steps == 500 and gold_map.dims == (0, 1) and gold_map.bounds == BOX


def test_cells_are_centres_that_tile_the_bounds(gold_map):
    expected = -2 + (np.arange(64) + 0.5) * 4 / 64
    np.testing.assert_allclose(gold_map.xs, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(gold_map.xs, -gold_map.xs[::-1])  # exactly symmetric
    np.testing.assert_array_equal(gold_map.ys, gold_map.xs)
    assert cell_centres(-1.0, 1.0, 5)[2] == 0.0


def test_goldfield_basins_are_point_symmetric(gold_map):
    low, high = _index_of(gold_map, (-1, -1)), _index_of(gold_map, (1, 1))
    mirrored = gold_map.labels[::-1, ::-1]
    swapped = np.where(mirrored == low, high, np.where(mirrored == high, low, mirrored))
    assert np.mean(swapped != gold_map.labels) < 0.01
    assert set(np.unique(gold_map.labels).tolist()) <= {low, high, -2}
    assert np.mean(gold_map.labels >= 0) > 0.95


def test_orientation_labels_i_j_is_the_start_xs_j_ys_i(gold_map):
    low, high = _index_of(gold_map, (-1, -1)), _index_of(gold_map, (1, 1))
    assert gold_map.labels[_cell(gold_map, 0.5, 0.5)] == high
    assert gold_map.labels[_cell(gold_map, -0.5, -0.5)] == low
    # Orientation, not just symmetry: goldfield is not symmetric under x <-> y, and
    # (1.6, -1.4) and (-1.4, 1.6) end in different minima; check both against direct runs.
    for (x, y), expected in ((1.6, -1.4), (1, 1)), ((-1.4, 1.6), (-1, -1)):
        i, j = _cell(gold_map, x, y)
        start = [[gold_map.xs[j], gold_map.ys[i]]]
        end = final_points(Objective(goldfield), "sgd", start, 500, RATE).params[0]
        np.testing.assert_allclose(end, expected, atol=1e-3)
        assert gold_map.labels[i, j] == _index_of(gold_map, expected)


def test_converged_runs_report_their_step(gold_map):
    reached = gold_map.labels >= 0
    assert np.mean(gold_map.steps[reached] >= 0) > 0.95
    assert (gold_map.steps[reached] <= 500).all()


def test_a_large_learning_rate_diverges_to_minus_one(gold):
    basins = basins_of_attraction(gold, "sgd", BOX, 500, {"learning_rate": 0.15}, resolution=32)
    gx, gy = np.meshgrid(basins.xs, basins.ys)
    starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    direct = final_points(gold, "sgd", starts, 500, {"learning_rate": 0.15})
    diverged = (direct.diverged_at >= 0).reshape(32, 32)
    assert diverged.any() and not diverged.all()
    np.testing.assert_array_equal(basins.labels == -1, diverged)
    assert (basins.steps[diverged] == -1).all()


def test_everything_diverges_at_a_huge_rate(gold):
    basins = basins_of_attraction(gold, "sgd", BOX, 300, {"learning_rate": 0.3}, resolution=16)
    assert (basins.labels == -1).all() and basins.minima.shape == (0, 2)


def test_a_run_stopped_on_the_saddle_is_minus_two(gold):
    # Odd side, symmetric bounds: the middle cell is exactly (0, 0), where the gradient
    # vanishes; the run converges there, but a saddle is no minimum.
    basins = basins_of_attraction(gold, "sgd", ((-0.5, 0.5), (-0.5, 0.5)), 500, RATE,
                                  resolution=3)  # fmt: skip
    assert basins.xs[1] == 0.0 and basins.ys[1] == 0.0
    assert basins.labels[1, 1] == -2
    assert basins.steps[1, 1] >= 0  # converged, yet not in a basin
    np.testing.assert_allclose(basins.minima, [[-1, -1], [1, 1]], atol=1e-4)
    assert (np.delete(basins.labels.ravel(), 4) >= 0).all()


def test_labelling_helpers():
    minima = np.array([[0.0, 0.0], [1.0, 1.0]])
    points = np.array([[0.05, 0.0], [0.6, 0.6], [np.nan, 0.0], [1.0, 0.95]])
    assert nearest_minimum(points, minima, 0.1).tolist() == [0, -2, -2, 1]
    assert nearest_minimum(points, np.zeros((0, 2)), 0.1).tolist() == [-2] * 4
    # Two clusters, one split by a cell border (0.099 and 0.101 with cells 0.1 wide).
    pts = np.array([[0.099, 0.0], [0.101, 0.0], [0.1, 0.001], [2.0, 2.0]])
    reps = cluster_representatives(pts, np.array([2.0, 1.0, 3.0, 0.0]), 0.1)
    assert reps == [1, 3]
    assert cluster_representatives(np.zeros((0, 2)), np.zeros(0), 0.1) == []


def test_clustering_is_bounded_and_fast():
    rng = np.random.default_rng(0)
    scattered = rng.uniform(-100, 100, size=(65_536, 3))
    reps = cluster_representatives(scattered, rng.random(65_536), 0.1)
    assert len(reps) == MAX_CLUSTERS


def test_a_quadratic_bowl_has_one_basin():
    bowl = Objective(lambda x, y: x**2 + 10 * y**2)
    basins = basins_of_attraction(bowl, "sgd", BOX, 500, RATE, resolution=32)
    assert basins.minima.shape == (1, 2)
    np.testing.assert_allclose(basins.minima, [[0.0, 0.0]], atol=1e-5)
    assert (basins.labels == 0).all()
    assert (basins.steps >= 0).all()


def test_known_minima_are_reported_and_label_their_neighbourhood(gold):
    # One step: nothing converges, so only the given minima exist; starts within the
    # radius of one are labelled with it, the rest are still moving: -2.
    basins = basins_of_attraction(gold, "sgd", BOX, 1, RATE, resolution=64,
                                  minima=[[1.0, 1.0], [-1.0, -1.0]])  # fmt: skip
    np.testing.assert_array_equal(basins.minima, [[-1, -1], [1, 1]])
    radius = BASIN_RADIUS * math.hypot(4, 4)
    assert (basins.labels == -2).mean() > 0.95
    gx, gy = np.meshgrid(basins.xs, basins.ys)
    ends = final_points(gold, "sgd", np.stack([gx.ravel(), gy.ravel()], 1), 1, RATE).params
    ends = ends.reshape(64, 64, 2)
    near_high = np.hypot(ends[..., 0] - 1, ends[..., 1] - 1) < radius
    near_low = np.hypot(ends[..., 0] + 1, ends[..., 1] + 1) < radius
    assert near_high.any() and near_low.any()
    np.testing.assert_array_equal(basins.labels == 1, near_high)
    np.testing.assert_array_equal(basins.labels == 0, near_low)
    assert basins.labels[_cell(basins, 1.0, 1.0)] == 1


def test_three_parameters_on_a_chosen_plane():
    def f(x, y, z):
        return (x - 1) ** 2 + (y + 2) ** 2 + (z - 0.5) ** 2

    obj = Objective(f)
    basins = basins_of_attraction(obj, "sgd", BOX, 300, {"learning_rate": 0.1}, resolution=16,
                                  dims=(0, 2), base=[0.0, 3.0, 0.0])  # fmt: skip
    assert basins.labels.shape == (16, 16) and basins.dims == (0, 2)
    assert basins.minimum_points.shape == (1, 3) and basins.minima.shape == (1, 2)
    np.testing.assert_allclose(basins.minimum_points, [[1.0, -2.0, 0.5]], atol=1e-4)
    np.testing.assert_allclose(basins.minima, [[1.0, 0.5]], atol=1e-4)
    assert (basins.labels == 0).all()
    # The parameter off the map starts at base (and stays there when locked).
    job = BasinsJob(obj, "sgd", BOX, 300, {"learning_rate": 0.1}, resolution=16, dims=(0, 2),
                    base=[0.0, 3.0, 0.0], mask=[1, 0, 1])  # fmt: skip
    starts = job.starts(0, 16)
    assert (starts[:, 1] == 3.0).all()
    np.testing.assert_array_equal(np.unique(starts[:, 0]), job.xs.astype(np.float32))
    job.advance(float("inf"))
    np.testing.assert_allclose(job.result().minimum_points, [[1.0, 3.0, 0.5]], atol=1e-4)


def test_a_locked_parameter_does_not_move():
    def f(x, y, z):
        return (x - z) ** 2 + (y - 1) ** 2 + z**2

    obj = Objective(f)
    free = basins_of_attraction(obj, "sgd", BOX, 500, {"learning_rate": 0.1}, resolution=8,
                                base=[0.0, 0.0, 2.0])  # fmt: skip
    np.testing.assert_allclose(free.minimum_points, [[0.0, 1.0, 0.0]], atol=1e-3)
    locked = basins_of_attraction(obj, "sgd", BOX, 500, {"learning_rate": 0.1}, resolution=8,
                                  base=[0.0, 0.0, 2.0], mask=[1, 1, 0])  # fmt: skip
    np.testing.assert_allclose(locked.minimum_points, [[2.0, 1.0, 2.0]], atol=1e-3)
    assert (locked.labels == 0).all()


def test_a_locked_map_axis_keeps_each_row_on_its_line(gold):
    # y locked: each row descends along x alone, to x = y (2x^2 - 4xy is least there).
    basins = basins_of_attraction(gold, "sgd", BOX, 500, RATE, resolution=16, mask=[1, 0])
    np.testing.assert_allclose(basins.minimum_points[:, 0], basins.minimum_points[:, 1],
                               atol=1e-3)  # fmt: skip
    assert set(np.round(basins.minima[:, 1], 6)) <= set(np.round(basins.ys, 6))


def test_row_blocks_within_small_budgets_match_one_call(gold):
    whole = basins_of_attraction(gold, "sgd", BOX, 500, RATE, resolution=48)
    job = BasinsJob(gold, "sgd", BOX, 500, RATE, resolution=48)
    with pytest.raises(RuntimeError, match="advance"):
        job.result()
    progress = [job.progress]
    calls = 0
    while not job.advance(0.0005):
        calls += 1
        progress.append(job.progress)
        assert calls < 1000
    assert calls >= 2  # it really was split
    assert progress == sorted(progress) and job.progress == 1.0
    assert job.seconds > 0
    blocks = job.result()
    np.testing.assert_array_equal(blocks.labels, whole.labels)
    np.testing.assert_array_equal(blocks.steps, whole.steps)
    np.testing.assert_array_equal(blocks.minimum_points, whole.minimum_points)


def _goldfield_if(x, y):
    """goldfield behind a Python `if` that never changes its value on the map."""
    value = 2 * x**2 - 4 * x * y + y**4 + 2
    return value if x > -100 else value + 1.0


@pytest.fixture(scope="module")
def slow():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        objective = Objective(_goldfield_if)
    assert not objective.jittable
    return objective


def test_an_unjittable_objective_gets_a_small_grid(slow, gold):
    assert grid_side(gold, 256, 500) == 256
    assert grid_side(slow, 256, 10) == UNJITTABLE_BASINS_RESOLUTION
    assert grid_side(slow, 256, 500) < UNJITTABLE_BASINS_RESOLUTION
    assert grid_side(slow, 3, 500) == 3
    assert BasinsJob(slow, "sgd", BOX, 10, resolution=256).n == UNJITTABLE_BASINS_RESOLUTION


def test_an_unjittable_objective_runs_in_row_blocks(slow, gold):
    args = (((-1.5, 1.5), (-1.5, 1.5)), 30, {"learning_rate": 0.1})
    job = BasinsJob(slow, "sgd", *args, resolution=3)
    calls = 0
    while not job.advance(0.02):
        calls += 1
        assert 0 <= job.progress < 1
    assert calls >= 3
    eager = job.result()
    jitted = basins_of_attraction(gold, "sgd", *args, resolution=3)
    np.testing.assert_array_equal(eager.labels, jitted.labels)
    np.testing.assert_allclose(eager.minima, jitted.minima, atol=1e-4)
    assert eager.labels[1, 1] == -2  # (0, 0): the saddle


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"resolution": 1}, DescentConfigError, "from 2 to 512"),
        ({"resolution": 513}, DescentConfigError, "from 2 to 512"),
        ({"resolution": 2.5}, DescentConfigError, "whole number"),
        ({"resolution": True}, DescentConfigError, "whole number"),
        ({"bounds": ((2, -2), (-2, 2))}, DescentConfigError, "inverted"),
        ({"bounds": ((-2, 2),)}, DescentConfigError, "2 pair"),
        ({"dims": (0, 0)}, ObjectiveError, "two different"),
        ({"dims": (0, 2)}, ObjectiveError, "does not have"),
        ({"dims": "xy"}, ObjectiveError, "parameter positions"),
        ({"base": [0.0, 0.0, 0.0]}, DescentConfigError, "base"),
        ({"base": [0.0, np.nan]}, DescentConfigError, "finite"),
        ({"minima": [[1.0, 1.0, 1.0]]}, DescentConfigError, "minima"),
        ({"mask": [0, 0]}, DescentConfigError, "locks every parameter"),
        ({"mask": [1, 1, 1]}, DescentConfigError, "mask"),
        ({"steps": 0}, DescentConfigError, "at least 1 step"),
        ({"tol": -1.0}, DescentConfigError, "tol"),
    ],
)
def test_bad_inputs_say_what_is_wrong(gold, kwargs, error, message):
    call = {"bounds": BOX, "steps": 100, **kwargs}
    bounds, steps = call.pop("bounds"), call.pop("steps")
    with pytest.raises(error, match=message):
        basins_of_attraction(gold, "sgd", bounds, steps, RATE, **call)


def test_a_function_of_one_parameter_has_no_map():
    with pytest.raises(ObjectiveError, match="one parameter"):
        basins_of_attraction(Objective(lambda x: x**2), "sgd", BOX, 100)
