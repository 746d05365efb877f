"""Defaults that converge: every known function's view starts at a rate that gets there.

``GradDescentWidget(rosenbrock)``, imported next to the README's example, diverged at
step 5 with the optimizer's default rate. Each known function now carries a rate and
a number of steps with which plain gradient descent converges from its default start
(the line has no minimum to converge to).
"""

from __future__ import annotations

import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import (
    beale,
    describe,
    goldfield,
    himmelblau,
    polynomial,
    quadratic_bowl,
    rastrigin,
    rosenbrock,
)

KNOWN = [polynomial, goldfield, rosenbrock, himmelblau, beale, rastrigin]
BOWLS = [1.0, 1.5, 4.0, 10.0, 100.0, 1000.0]


@pytest.mark.parametrize("f", KNOWN, ids=lambda f: f.__name__)
def test_a_known_function_converges_with_its_defaults(f):
    info = describe(f)
    w = GradDescentWidget(f)
    try:
        assert (w.learning_rate, w.steps) == (info.learning_rate, info.steps)
        assert w.optimizer == "sgd"
        assert w.status[0]["summary"].startswith("converged at step"), w.status[0]
    finally:
        w.close()


def test_rosenbrock_converges_where_it_diverged():
    w = GradDescentWidget(rosenbrock)
    try:
        assert w.status[0]["state"] != "diverged"
        assert w.trajectory[0, -1].round(3).tolist() == [1.0, 1.0]
        # The lesson it teaches: plain descent needs thousands of steps in the valley.
        assert w.result.converged_at[0] > 5000
    finally:
        w.close()


@pytest.mark.parametrize("condition", BOWLS)
def test_every_bowl_converges_with_its_zig_zag_rate(condition):
    bowl = quadratic_bowl(condition)
    w = GradDescentWidget(bowl)
    try:
        assert w.learning_rate == pytest.approx(1.5 / condition)
        assert w.status[0]["summary"].startswith("converged at step"), w.status[0]
    finally:
        w.close()


def test_the_teaching_loop_keeps_its_numbers():
    """polynomial is the notebook's loop: 200 steps of 0.01 from x = 3."""
    assert (describe(polynomial).steps, describe(polynomial).learning_rate) == (200, 0.01)
