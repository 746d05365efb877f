"""The basins layer: 1 byte per cell and a palette through the Player's raster channel."""

import itertools

import bqplot
import ipywidgets
import matplotlib
import numpy as np
import pytest
from test_palette import difference

from jaxgrad_widgets.widgets.palette import (
    BASIN_ALPHA,
    BASIN_COLORS,
    BASIN_DIVERGED_COLOR,
    BASIN_UNDECIDED_COLOR,
    MAP_SCHEME,
)
from jaxgrad_widgets.widgets.panels import BasinsLayer
from jaxgrad_widgets.widgets.panels.basins import (
    DIVERGED,
    DIVERGED_CODE,
    FIRST_MINIMUM_CODE,
    LEVELS,
    NOWHERE,
    UNDECIDED_CODE,
    levels_for,
)
from jaxgrad_widgets.widgets.player import Player

BOUNDS = ((-2.0, 2.0), (-1.0, 3.0))


def hex_rgb(color: str) -> list[int]:
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


@pytest.fixture
def layer() -> BasinsLayer:
    return BasinsLayer({"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}, BOUNDS)


def lightness(rgba: np.ndarray) -> float:
    return float(np.asarray(rgba[:3], np.float64).sum())


# ---------------------------------------------------------------------- palette
def test_basin_colours_differ_from_each_other_and_from_diverged_and_undecided():
    colours = (*BASIN_COLORS, BASIN_DIVERGED_COLOR, BASIN_UNDECIDED_COLOR)
    assert len(set(colours)) == len(colours)
    assert min(difference(a, b) for a, b in itertools.combinations(colours, 2)) >= 45


@pytest.mark.parametrize("color", BASIN_COLORS)
def test_every_basin_colour_stands_out_over_the_shading(color):
    shading = [matplotlib.colors.to_hex(matplotlib.colormaps[MAP_SCHEME](i / 255))
               for i in range(256)]  # fmt: skip
    assert min(difference(color, shade) for shade in shading) >= 35


def test_the_layer_is_translucent():
    assert 0.3 <= BASIN_ALPHA <= 0.8


# ---------------------------------------------------------------------- encode
def test_each_minimum_gets_its_colour_and_diverged_and_undecided_their_own(layer):
    labels = np.array([[0, 1, 2], [DIVERGED, NOWHERE, 7]], np.int16)  # 7: no such minimum
    steps = np.zeros((2, 3), np.int32)
    codes, palette = layer.encode(labels, steps, 100, n_minima=3)
    assert codes.dtype == np.uint8 and codes.shape == (2, 3)
    assert codes.nbytes == labels.size  # one byte per cell
    assert palette.dtype == np.uint8 and palette.shape == (FIRST_MINIMUM_CODE + 3 * LEVELS, 4)
    alpha = round(255 * BASIN_ALPHA)
    for m in range(3):
        assert palette[codes[0, m]].tolist() == [*hex_rgb(BASIN_COLORS[m]), alpha]
    assert codes[1, 0] == DIVERGED_CODE
    assert palette[DIVERGED_CODE].tolist() == [*hex_rgb(BASIN_DIVERGED_COLOR), alpha]
    assert codes[1, 1] == codes[1, 2] == UNDECIDED_CODE
    assert palette[UNDECIDED_CODE].tolist() == [*hex_rgb(BASIN_UNDECIDED_COLOR), alpha]
    assert len({tuple(palette[c]) for c in codes.reshape(-1)}) == 5
    assert (palette[:, 3] == alpha).all()


def test_a_slower_run_is_lighter_and_one_that_never_converged_lightest(layer):
    total = 1000
    steps = np.array([[0, 3, 30, 300, 999, -1]])
    labels = np.zeros_like(steps)
    codes, palette = layer.encode(labels, steps, total, n_minima=1)
    levels = codes[0] - FIRST_MINIMUM_CODE
    assert levels.tolist() == sorted(levels.tolist())
    assert len(set(levels.tolist())) == len(levels)  # each decade its own level here
    assert levels[0] == 0 and levels[-1] == LEVELS - 1
    light = [lightness(palette[c]) for c in codes[0]]
    assert light == sorted(light) and light[0] < light[-1]
    # The converged levels never reach the lightest, which means "never converged".
    converged, _ = layer.encode(np.zeros((1, 2), int), [[total, total - 1]], total, 1)
    assert (converged - FIRST_MINIMUM_CODE).tolist() == [[LEVELS - 2, LEVELS - 2]]
    # Past the step budget or not a number counts as never converged.
    never, _ = layer.encode(np.zeros((1, 2), int), [[total + 1, np.nan]], total, 1)
    assert (never - FIRST_MINIMUM_CODE).tolist() == [[LEVELS - 1, LEVELS - 1]]


def test_the_lightest_level_keeps_the_minimum_s_hue(layer):
    _, palette = layer.encode(np.zeros((1, 1), int), [[0]], 10, n_minima=2)
    for m in range(2):
        darkest = palette[FIRST_MINIMUM_CODE + m * LEVELS, :3].astype(int)
        lightest = palette[FIRST_MINIMUM_CODE + m * LEVELS + LEVELS - 1, :3].astype(int)
        assert (lightest >= darkest).all() and lightest.min() < 255
        assert np.argmax(darkest) == np.argmax(lightest)


def test_thirty_minima_fit_in_a_byte_with_every_level(layer):
    rng = np.random.default_rng(0)
    labels = rng.integers(-2, 30, size=(64, 64))
    steps = rng.integers(-1, 500, size=(64, 64))
    codes, palette = layer.encode(labels, steps, 500, n_minima=30)
    assert levels_for(30) == LEVELS
    assert len(palette) == FIRST_MINIMUM_CODE + 30 * LEVELS <= 256
    assert int(codes.max()) < len(palette)
    # Each minimum's cells carry one of its own codes.
    at = labels >= 0
    assert ((codes[at] - FIRST_MINIMUM_CODE) // LEVELS == labels[at]).all()


def test_many_minima_get_fewer_levels_and_too_many_are_refused(layer):
    codes, palette = layer.encode(np.arange(100).reshape(10, 10), np.zeros((10, 10)), 10, 100)
    assert len(palette) <= 256 and int(codes.max()) < len(palette)
    assert len(np.unique(codes)) == 100
    with pytest.raises(ValueError, match="at most 254 minima"):
        layer.encode(np.zeros((2, 2), int), np.zeros((2, 2)), 10, 255)


def test_the_codes_keep_the_grid_orientation(layer):
    labels = np.array([[0, 0], [1, 1]])  # row 0: the lowest y
    codes, _ = layer.encode(labels, np.zeros((2, 2)), 10, 2)
    assert (codes[0] < codes[1]).all()


@pytest.mark.parametrize(
    ("labels", "steps", "total", "n", "error"),
    [
        (np.zeros(4, int), np.zeros(4), 10, 1, "2-D"),
        (np.zeros((2, 2), int), np.zeros((2, 3)), 10, 1, "shape"),
        (np.zeros((2, 2)), np.zeros((2, 2)), 10, 1, "integers"),
        (np.zeros((2, 2), int), np.zeros((2, 2)), 0, 1, "total_steps"),
        (np.zeros((2, 2), int), np.zeros((2, 2)), 10, -1, "n_minima"),
    ],
)
def test_encode_refuses_what_it_cannot_draw(layer, labels, steps, total, n, error):
    with pytest.raises((TypeError, ValueError), match=error):
        layer.encode(labels, steps, total, n)


# ---------------------------------------------------------------------- show and hide
def test_show_sends_one_byte_per_cell_and_the_palette_to_the_player(layer):
    player = Player()
    n = 256
    labels = np.zeros((n, n), np.int16)
    labels[:, n // 2 :] = 1
    labels[0, 0] = DIVERGED
    steps = np.full((n, n), 50, np.int32)
    messages = []
    player.observe(lambda change: messages.append(change["name"]), names=["raster_layout"])
    layer.show(player, labels, steps, 500, [[-1.0, 0.0], [1.25, 2.5]], BOUNDS)
    assert player.raster_target is layer.mark
    assert len(player.raster_codes) == n * n
    codes, palette = layer.encode(labels, steps, 500, 2)
    assert player.raster_codes == codes.tobytes()
    assert player.raster_palette == palette.tobytes()
    assert player.raster_layout == {"width": n, "height": n, "colors": len(palette), "revision": 1}
    assert messages == ["raster_layout"]
    assert layer.mark.x.tolist() == [-2.0, 2.0] and layer.mark.y.tolist() == [-1.0, 3.0]
    assert layer.mark.visible is True
    legend = layer.legend
    assert "(-1.00, 0.00)" in legend and "(1.25, 2.50)" in legend
    assert "diverged" in legend and "no minimum" in legend
    # A second map: a new revision, so the browser repaints even equal bytes.
    layer.show(player, labels, steps, 500, [[-1.0, 0.0], [1.25, 2.5]], ((0.0, 1.0), (0.0, 1.0)))
    assert player.raster_layout["revision"] == 2
    assert layer.mark.x.tolist() == [0.0, 1.0]


def test_hide_clears_the_raster_the_mark_and_the_legend(layer):
    player = Player()
    layer.show(player, [[0, 1]], [[1, 2]], 10, [[0.0, 0.0], [1.0, 1.0]], BOUNDS)
    layer.hide(player)
    assert player.raster_codes == b"" and player.raster_palette == b""
    assert player.raster_layout["width"] == player.raster_layout["height"] == 0
    assert player.raster_layout["revision"] == 2
    assert player.raster_target is layer.mark  # kept, so the browser knows what to hide
    assert layer.mark.visible is False
    assert layer.legend == ""
    layer.hide(player)  # twice is harmless
    assert player.raster_layout["revision"] == 2


def test_the_mark_tiles_the_bounds_with_an_empty_url_picture(layer):
    assert isinstance(layer.mark, bqplot.Image)
    assert isinstance(layer.mark.image, ipywidgets.Image)
    assert layer.mark.image.format == "url" and layer.mark.image.value == b""
    assert layer.mark.visible is False
    assert layer.mark.x.tolist() == [-2.0, 2.0] and layer.mark.y.tolist() == [-1.0, 3.0]


# ---------------------------------------------------------------------- show_raster
def _image() -> bqplot.Image:
    return bqplot.Image(image=ipywidgets.Image(format="url", value=b""))


@pytest.mark.parametrize(
    ("target", "codes", "palette", "error", "match"),
    [
        (bqplot.Lines(), np.zeros((2, 2), np.uint8), np.zeros((1, 4), np.uint8), TypeError,
         "bqplot.Image"),
        (None, np.zeros((2, 2), np.int16), np.zeros((1, 4), np.uint8), TypeError, "uint8"),
        (None, np.zeros(4, np.uint8), np.zeros((1, 4), np.uint8), ValueError, "2-D"),
        (None, np.zeros((0, 4), np.uint8), np.zeros((1, 4), np.uint8), ValueError, "1 to 512"),
        (None, np.zeros((513, 2), np.uint8), np.zeros((1, 4), np.uint8), ValueError, "1 to 512"),
        (None, np.zeros((2, 2), np.uint8), np.zeros((1, 4), np.float32), TypeError, "uint8 RGBA"),
        (None, np.zeros((2, 2), np.uint8), np.zeros((1, 3), np.uint8), ValueError, r"\(k, 4\)"),
        (None, np.zeros((2, 2), np.uint8), np.zeros((0, 4), np.uint8), ValueError, r"\(k, 4\)"),
        (None, np.zeros((2, 2), np.uint8), np.zeros((257, 4), np.uint8), ValueError, "256"),
        (None, np.full((2, 2), 2, np.uint8), np.zeros((2, 4), np.uint8), ValueError,
         "code 2 has no colour"),
    ],
)  # fmt: skip
def test_show_raster_refuses_bad_input_and_keeps_the_old_raster(target, codes, palette, error,
                                                                match):  # fmt: skip
    player = Player()
    image = _image()
    player.show_raster(image, np.ones((3, 3), np.uint8), np.zeros((2, 4), np.uint8))
    before = (player.raster_codes, player.raster_palette, dict(player.raster_layout))
    with pytest.raises(error, match=match):
        player.show_raster(image if target is None else target, codes, palette)
    assert (player.raster_codes, player.raster_palette, player.raster_layout) == before
    assert player.raster_target is image


def test_show_raster_takes_the_largest_raster_in_one_message():
    player = Player()
    messages = []  # what each state message to the front end carries
    player.send_state = lambda key=None: messages.append(sorted(key) if key else key)
    codes = np.arange(512 * 512, dtype=np.int64).reshape(512, 512).astype(np.uint8)
    palette = np.zeros((256, 4), np.uint8)
    player.show_raster(_image(), codes, palette)
    assert len(player.raster_codes) == 512 * 512
    assert len(player.raster_palette) == 256 * 4
    assert player.raster_codes[:3] == bytes([0, 1, 2])  # row-major, row 0 first
    assert messages == [["raster_codes", "raster_layout", "raster_palette", "raster_target"]]
    player.clear_raster()
    assert messages[1:] == [["raster_codes", "raster_layout", "raster_palette"]]


def test_the_raster_traits_are_synced_and_the_target_goes_by_reference():
    player = Player()
    image = _image()
    player.show_raster(image, np.zeros((1, 1), np.uint8), np.zeros((1, 4), np.uint8))
    state = player.get_state()
    assert state["raster_target"] == f"IPY_MODEL_{image.model_id}"
    for name in ("raster_layout", "raster_codes", "raster_palette"):
        assert name in state


def test_a_basin_map_from_the_engine_is_drawn_as_its_labels_say(layer):
    from jaxgrad_widgets.engine import Objective
    from jaxgrad_widgets.engine.basins import basins_of_attraction
    from jaxgrad_widgets.functions import goldfield

    b = basins_of_attraction(Objective(goldfield), "sgd", [(-2, 2), (-2, 2)], 200,
                             {"learning_rate": 0.05}, resolution=32)  # fmt: skip
    player = Player()
    layer.show(player, b.labels, b.steps, b.total_steps, b.minima, b.bounds)
    codes = np.frombuffer(player.raster_codes, np.uint8).reshape(32, 32)
    minimum = (codes.astype(int) - FIRST_MINIMUM_CODE) // LEVELS
    at = b.labels >= 0
    assert at.any() and (minimum[at] == b.labels[at]).all()
    assert codes[8, 8] != codes[24, 24]  # the two goldfield basins in their colours
    for x, y in b.minima:
        assert f"({x:.2f}, {y:.2f})" in layer.legend
