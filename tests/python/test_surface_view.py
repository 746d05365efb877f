"""SurfaceView without a browser: traits, the wire format, clipping, validation."""

import math
import pathlib

import numpy as np
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers

from jaxgrad_widgets.engine import Objective, grid_values, trajectories
from jaxgrad_widgets.functions import goldfield
from jaxgrad_widgets.widgets import player as player_module
from jaxgrad_widgets.widgets.palette import MAP_SCHEME, start_color
from jaxgrad_widgets.widgets.player import Player, pack_buffers
from jaxgrad_widgets.widgets.surface import (
    COLORMAPS,
    DEFAULT_CAMERA,
    SurfaceView,
    auto_clip,
    sanitize_camera,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _decode(wire):
    return np.frombuffer(bytes(wire["data"]), dtype="<f4").reshape(wire["shape"])


@pytest.fixture(scope="module")
def goldfield_data():
    obj = Objective(goldfield)
    grid = grid_values(obj, [(-2, 2), (-2, 2)], 40)
    run = trajectories(
        obj, "sgd", [[0.1, 0.1], [-0.1, -0.1], [1.8, -1.5]], 50, {"learning_rate": 0.01}
    )
    return grid, run


# --------------------------------------------------------------------------- traits


def test_defaults_match_the_brief_and_the_palette():
    s = SurfaceView()
    assert s.camera == {"elevation": 20.0, "azimuth": 20.0, "zoom": 1.0} == DEFAULT_CAMERA
    assert s.colormap == MAP_SCHEME == "viridis"
    assert s.height == 440
    assert s.frame == 0
    assert s.labels == ["x", "y", "loss"]
    assert s.n_frames == 1 and s.n_starts == 0
    assert s.grid == {} and s.paths == {}


def test_every_instance_has_its_own_camera():
    a, b = SurfaceView(), SurfaceView()
    a.set_camera(elevation=60)
    assert b.camera == DEFAULT_CAMERA


def test_the_front_end_is_its_own_bundle():
    assert (ROOT / "jaxgrad_widgets" / "static" / "surface.js").is_file()
    surface_js, player_js = SurfaceView()._esm, Player()._esm
    assert "3-D view unavailable: this browser has no WebGL" in surface_js
    assert "3-D view unavailable" not in player_js  # three.js stays out of widget.js
    assert len(player_js) < len(surface_js) / 2


def test_colormap_names_match_the_front_end():
    source = (ROOT / "js" / "surface" / "colormaps.ts").read_text()
    for name in COLORMAPS:
        assert f"\n  {name}:" in source
    s = SurfaceView(colormap="magma")
    assert s.colormap == "magma"
    with pytest.raises(traitlets.TraitError):
        s.colormap = "jet"


def test_synced_traits_are_the_documented_ones():
    synced = set(SurfaceView().keys)
    expected = {"grid", "x_range", "y_range", "z_clip", "labels", "paths", "lengths",
                "colors", "frame", "camera", "colormap", "height"}  # fmt: skip
    assert expected <= synced


def test_labels_are_padded_and_cut_to_three():
    s = SurfaceView(labels=["mu"])
    assert s.labels == ["mu", "y", "loss"]
    s.labels = ["a", "b", "c", "d"]
    assert s.labels == ["a", "b", "c"]


def test_height_is_clamped():
    s = SurfaceView(height=5)
    assert s.height == 120
    s.height = 10**6
    assert s.height == 2000


# --------------------------------------------------------------------------- wire format


def test_set_landscape_ships_float32_bytes_in_the_player_format(goldfield_data):
    grid, _ = goldfield_data
    s = SurfaceView()
    s.set_landscape(grid.xs, grid.ys, grid.values)
    assert s.grid["shape"] == [40, 40]
    assert isinstance(s.grid["data"], memoryview)
    assert s.grid.keys() == pack_buffers({"z": grid.values})["z"].keys()
    np.testing.assert_array_equal(_decode(s.grid), grid.values.astype(np.float32))
    # Row i is y = ys[i]: goldfield(x, y) = 2x^2 - 4xy + y^4 + 2 is not symmetric in x, y.
    z = _decode(s.grid)
    i, j = 3, 30
    assert z[i, j] == pytest.approx(float(goldfield(grid.xs[j], grid.ys[i])), rel=1e-5)
    assert s.x_range == [-2.0, 2.0] and s.y_range == [-2.0, 2.0]


def test_heights_and_paths_travel_as_binary_buffers_not_json(goldfield_data):
    grid, run = goldfield_data
    s = SurfaceView()
    s.set_landscape(grid.xs, grid.ys, grid.values)
    s.set_paths(run.params, run.loss)
    _state, buffer_paths, buffers = _remove_buffers(s.get_state())
    assert ["grid", "data"] in buffer_paths
    assert ["paths", "data"] in buffer_paths
    assert sum(len(b) for b in buffers) == 4 * (40 * 40 + 3 * 51 * 3)


def test_set_paths_packs_x_y_loss_per_start_and_frame(goldfield_data):
    _, run = goldfield_data
    s = SurfaceView()
    s.set_paths(run.params, run.loss)
    assert s.paths["shape"] == [3, 51, 3]
    data = _decode(s.paths)
    np.testing.assert_array_equal(data[..., :2], run.params.astype(np.float32))
    np.testing.assert_array_equal(data[..., 2], run.loss.astype(np.float32))
    assert s.lengths == [51, 51, 51]
    assert s.colors == [start_color(0), start_color(1), start_color(2)]
    assert (s.n_starts, s.n_frames) == (3, 51)


def test_set_paths_counts_finite_prefixes_and_takes_given_lengths_and_colours():
    xy = np.zeros((2, 5, 2))
    loss = np.array([[5, 4, 3, 2, 1], [5, np.inf, np.nan, 2, 1]], float)
    s = SurfaceView()
    s.set_paths(xy, loss)
    assert s.lengths == [5, 1]
    s.set_paths(xy, loss, lengths=[3, 99], colors=["red", "#00ff00"])
    assert s.lengths == [3, 5]  # clamped to the frames there are
    assert s.colors == ["red", "#00ff00"]


@pytest.mark.parametrize(
    ("xy", "loss", "kwargs", "message"),
    [
        (np.zeros((2, 5)), np.zeros((2, 5)), {}, "params_xy"),
        (np.zeros((2, 5, 3)), np.zeros((2, 5)), {}, "params_xy"),
        (np.zeros((2, 5, 2)), np.zeros((2, 4)), {}, "losses"),
        (np.zeros((2, 5, 2)), np.zeros((2, 5)), {"lengths": [1]}, "one length"),
        (np.zeros((2, 5, 2)), np.zeros((2, 5)), {"colors": ["red"]}, "one colour"),
        (np.zeros((2, 0, 2)), np.zeros((2, 0)), {}, "at least one frame"),
    ],
)
def test_set_paths_explains_bad_shapes(xy, loss, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SurfaceView().set_paths(xy, loss, **kwargs)


def test_no_paths_at_all_is_fine():
    s = SurfaceView()
    s.set_paths(np.zeros((0, 3, 2)), np.zeros((0, 3)))
    assert s.paths["shape"] == [0, 3, 3] and s.lengths == [] and s.colors == []


# --------------------------------------------------------------------------- landscape input


@pytest.mark.parametrize(
    ("xs", "ys", "values", "message"),
    [
        (np.linspace(0, 1, 3), np.linspace(0, 1, 2), np.zeros((3, 2)), "shape"),
        (np.array([0.0, 1.0, 3.0]), np.linspace(0, 1, 2), np.zeros((2, 3)), "evenly spaced"),
        (np.array([1.0, 0.0]), np.linspace(0, 1, 2), np.zeros((2, 2)), "increasing"),
        (np.array([0.0]), np.linspace(0, 1, 2), np.zeros((2, 1)), "at least two"),
        (np.array([0.0, np.nan]), np.linspace(0, 1, 2), np.zeros((2, 2)), "finite"),
    ],
)
def test_set_landscape_explains_bad_grids(xs, ys, values, message):
    with pytest.raises(ValueError, match=message):
        SurfaceView().set_landscape(xs, ys, values)


def test_ranges_and_clip_must_be_finite_and_increasing():
    s = SurfaceView()
    for bad in ([1.0, 0.0], [0.0, math.inf], [0.0], "ab"):
        with pytest.raises(traitlets.TraitError):
            s.x_range = bad
    with pytest.raises(traitlets.TraitError):
        s.z_clip = [2.0, 2.0]
    with pytest.raises(traitlets.TraitError):
        s.set_landscape([0, 1], [0, 1], np.zeros((2, 2)), clip=(3.0, 1.0))


# --------------------------------------------------------------------------- clipping maths


def test_auto_clip_keeps_the_minimum_and_cuts_at_the_98th_percentile(goldfield_data):
    grid, _ = goldfield_data
    low, high = auto_clip(grid.values)
    assert low == pytest.approx(float(grid.values.min()))
    assert high == pytest.approx(float(np.quantile(grid.values, 0.98)))
    assert high < float(grid.values.max())  # y^4 walls are cut, the valleys are not


def test_auto_clip_does_not_cut_when_nothing_sticks_out():
    assert auto_clip(np.linspace(0.0, 10.0, 1000)) == (0.0, 10.0)
    ramp = np.add.outer(np.linspace(0, 1, 30), np.linspace(0, 1, 30))
    assert auto_clip(ramp) == (0.0, 2.0)


def test_auto_clip_ignores_non_finite_values_and_handles_degenerate_grids():
    values = np.r_[np.arange(100.0), 1e9, np.nan, np.inf, -np.inf]
    assert auto_clip(values) == (0.0, 98.0)
    assert auto_clip(np.full(5, 3.0)) == (2.5, 3.5)
    assert auto_clip(np.full(5, np.nan)) == (0.0, 1.0)
    assert auto_clip([]) == (0.0, 1.0)


def test_auto_clip_quantile_is_a_parameter():
    values = np.r_[np.arange(100.0), 1000.0]
    assert auto_clip(values, quantile=0.5)[1] == pytest.approx(50.0)
    assert auto_clip(values, quantile=1.0) == (0.0, 1000.0)


def test_set_landscape_default_clip_is_auto_clip(goldfield_data):
    grid, _ = goldfield_data
    s = SurfaceView()
    s.set_landscape(grid.xs, grid.ys, grid.values)
    assert s.z_clip == pytest.approx(list(auto_clip(grid.values)))


def test_an_explicit_clip_is_kept_but_never_hides_the_minima():
    xs = ys = np.linspace(-1, 1, 5)
    z = np.add.outer(ys**2, xs**2)  # 0 .. 2
    s = SurfaceView()
    s.set_landscape(xs, ys, z, clip=(-1.0, 1.5))
    assert s.z_clip == [-1.0, 1.5]
    s.set_landscape(xs, ys, z, clip=(0.5, 1.5))
    assert s.z_clip == [0.0, 1.5]


def test_non_finite_heights_are_shipped_as_they_are():
    xs = ys = np.linspace(0, 1, 3)
    z = np.array([[0, 1, 2], [np.nan, 4, np.inf], [6, 7, 8]], float)
    s = SurfaceView()
    s.set_landscape(xs, ys, z)
    shipped = _decode(s.grid)
    assert np.isnan(shipped[1, 0]) and np.isposinf(shipped[1, 2])
    assert all(math.isfinite(v) for v in s.z_clip)


# --------------------------------------------------------------------------- frame


def test_frame_is_clamped_to_the_paths(goldfield_data):
    _, run = goldfield_data
    s = SurfaceView()
    s.set_paths(run.params, run.loss)
    assert s.frame == 50  # a fresh view shows the whole path
    s.frame = 10**6
    assert s.frame == 50
    s.frame = -3
    assert s.frame == 0


def test_set_paths_keeps_a_mid_frame_and_follows_the_end():
    xy, loss = np.zeros((1, 10, 2)), np.zeros((1, 10))
    s = SurfaceView()
    s.set_paths(xy, loss)
    assert s.frame == 9
    s.set_paths(np.zeros((1, 20, 2)), np.zeros((1, 20)))
    assert s.frame == 19  # was at the end: stays at the end
    s.frame = 4
    s.set_paths(np.zeros((1, 30, 2)), np.zeros((1, 30)))
    assert s.frame == 4  # stopped mid-way: kept
    s.set_paths(np.zeros((1, 3, 2)), np.zeros((1, 3)))
    assert s.frame == 2  # clamped
    s.set_paths(np.zeros((1, 30, 2)), np.zeros((1, 30)), frame=7)
    assert s.frame == 7


@pytest.mark.parametrize(
    ("sent", "expected"),
    [(7, 7), (7.9, 7), (-1, 0), (10**9, 19), (None, 5), (float("nan"), 5), ("x", 5)],
)
def test_a_frame_from_the_browser_is_coerced_and_clamped(sent, expected):
    s = SurfaceView()
    s.set_paths(np.zeros((1, 20, 2)), np.zeros((1, 20)), frame=5)
    s.set_state({"frame": sent})
    assert s.frame == expected


# --------------------------------------------------------------------------- camera


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({"elevation": 45, "azimuth": -120, "zoom": 2}, (45.0, -120.0, 2.0)),
        ({"elevation": 91, "azimuth": 540, "zoom": 100}, (90.0, -180.0, 4.0)),
        ({"elevation": -1e9, "azimuth": -190, "zoom": 0}, (-90.0, 170.0, 0.25)),
        ({"elevation": float("nan"), "azimuth": float("inf"), "zoom": None}, (20.0, 20.0, 1.0)),
        ({"elevation": "up", "azimuth": [1], "zoom": {}}, (20.0, 20.0, 1.0)),
        ({"azimuth": 30}, (20.0, 30.0, 1.0)),
        ("not a camera", (20.0, 20.0, 1.0)),
        (None, (20.0, 20.0, 1.0)),
        ({"elevation": 10, "script": "<x>"}, (10.0, 20.0, 1.0)),
    ],
)
def test_a_camera_from_the_browser_is_sanitised(sent, expected):
    s = SurfaceView()
    s.set_state({"camera": sent})
    assert (s.camera["elevation"], s.camera["azimuth"], s.camera["zoom"]) == expected
    assert set(s.camera) == {"elevation", "azimuth", "zoom"}
    assert all(isinstance(v, float) for v in s.camera.values())


def test_a_partial_camera_keeps_the_other_fields():
    s = SurfaceView()
    s.set_camera(elevation=50, zoom=2)
    s.camera = {"azimuth": -45}
    assert s.camera == {"elevation": 50.0, "azimuth": -45.0, "zoom": 2.0}


def test_sanitize_camera_wraps_azimuth_into_minus_180_to_180():
    for given, wrapped in [(180, -180), (360, 0), (-181, 179), (725, 5)]:
        assert sanitize_camera({"azimuth": given})["azimuth"] == pytest.approx(wrapped)


# --------------------------------------------------------------------------- with the Player


def test_a_player_can_target_the_surface_with_a_frame_track(goldfield_data):
    _, run = goldfield_data
    s = SurfaceView()
    s.set_paths(run.params, run.loss)
    p = Player(targets=[s])
    p.load(n_frames=51, buffers={}, tracks=[{"target": 0, "kind": "frame"}], frame=0)
    assert p.tracks == [{"target": 0, "kind": "frame"}]
    assert p.get_state()["targets"] == [f"IPY_MODEL_{s.model_id}"]
    assert "\n``frame``\n" in player_module.__doc__  # the protocol documents the kind
