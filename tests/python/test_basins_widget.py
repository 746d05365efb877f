"""The dashboard's basins: ``w.basins()`` and the map's layer, recomputed when it must be."""

from __future__ import annotations

import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import ObjectiveError, basins_of_attraction
from jaxgrad_widgets.functions import goldfield, polynomial


def test_widget_basins_are_the_engine_basins_of_the_current_inputs():
    w = GradDescentWidget(goldfield, optimizer="momentum", learning_rate=0.02, steps=400)
    b = w.basins(resolution=48)
    direct = basins_of_attraction(w.objective, "momentum", w.bounds, 400,
                                  {"learning_rate": 0.02, "momentum": 0.9},
                                  resolution=48)  # fmt: skip
    np.testing.assert_array_equal(b.labels, direct.labels)
    np.testing.assert_allclose(b.minima, [[-1.0, -1.0], [1.0, 1.0]], atol=1e-3)
    # A student's question: why does (0.1, 0.1) end at (1, 1) and (-0.1, -0.1) at (-1, -1)?
    j, i = np.abs(b.xs - 0.5).argmin(), np.abs(b.ys - 0.5).argmin()
    assert b.minima[b.labels[i, j]].round().tolist() == [1.0, 1.0]
    w.close()


def test_the_layer_follows_rate_optimizer_and_steps_not_the_starts():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1)])
    assert w.player.raster_layout.get("width", 0) == 0  # nothing until asked
    w.control_panel.basins_toggle.value = True  # as a click in the browser
    layout = w.player.raster_layout
    assert w.show_basins and layout["width"] == layout["height"] == 256
    assert len(w.player.raster_codes) == 256 * 256  # one byte per grid point
    legend = w.map.basins.legend
    assert "(1.00, 1.00)" in legend and "(-1.00, -1.00)" in legend
    revision = layout["revision"]
    w.starts = [(0.4, -0.2)]  # every grid point is a start already
    assert w.player.raster_layout["revision"] == revision
    for change in ({"learning_rate": 0.2}, {"optimizer": "adam"}, {"steps": 100}):
        w.apply(**change)
        assert w.player.raster_layout["revision"] > revision, change
        revision = w.player.raster_layout["revision"]
    w.control_panel.basins_toggle.value = False
    assert w.player.raster_layout["width"] == 0 and w.map.basins.legend == ""
    w.close()


def test_diverging_rate_marks_cells_diverged():
    w = GradDescentWidget(goldfield, learning_rate=0.3)
    b = w.basins(resolution=32)
    assert (b.labels == -1).mean() > 0.5
    w.close()


def test_a_curve_has_no_basins():
    w = GradDescentWidget(polynomial)
    with pytest.raises(ObjectiveError, match="basins need a map"):
        w.basins()
    w.show_basins = True
    assert not w.show_basins and "basins need a map" in w.message
    w.close()
