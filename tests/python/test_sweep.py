"""The learning-rate sweep: the engine's reading of a family, and the dashboard's panel."""

from __future__ import annotations

import numpy as np
import optax
import pytest
from compiles import compiled_during

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import Objective, OptimizerError, descent_for, trajectories
from jaxgrad_widgets.engine.errors import DescentConfigError
from jaxgrad_widgets.engine.sweep import SweepJob, learning_rate_sweep
from jaxgrad_widgets.functions import goldfield
from jaxgrad_widgets.widgets.family import RateGrid

QUADRATIC = Objective(lambda x, y: x**2 + 10 * y**2)
#: The dashboard's learning-rate slider: 10 ** (-5 ... 1) in steps of 0.01.
SLIDER = RateGrid(-5.0, 1.0, 0.01)


@pytest.fixture(scope="module")
def quadratic_sweep():
    return learning_rate_sweep(QUADRATIC, "sgd", [[1.0, 1.0], [-0.5, 0.3]], 1000,
                               rates=SLIDER.values())  # fmt: skip


def test_quadratic_stable_limit_is_two_over_the_largest_eigenvalue(quadratic_sweep):
    s = quadratic_sweep
    one_step = 10.0**SLIDER.step
    for limit in s.stable_limit:
        assert 0.1 / one_step <= limit <= 0.1 * one_step
    assert s.theory_limit == pytest.approx((0.1, 0.1), rel=1e-4)
    assert s.theory == "2 / λmax"
    above = s.rates > 0.1 * (1 + 1e-6)
    assert s.diverged[:, above].all()
    below = s.rates < 0.1 * (1 - 1e-6)
    assert not s.diverged[:, below].any()


def test_quadratic_best_rate_is_the_fastest_of_the_tied(quadratic_sweep):
    s = quadratic_sweep
    # Gradient descent on x^2 + 10 y^2 contracts fastest at 2 / (2 + 20) = 1/11; runs
    # are checked every 32 steps, so the rates near it converge at the same checked step
    # and the lower final loss decides.
    for j in range(2):
        assert 0.06 < s.best_rate[j] < 0.1
        m = int(np.flatnonzero(s.rates == s.best_rate[j])[0])
        converged = s.converged_at[j][s.converged_at[j] >= 0]
        assert s.converged_at[j, m] == converged.min()


def test_tied_rates_are_settled_on_the_runs_own_program(monkeypatch):
    """The exact first converged step of tied rates comes from single runs, on the
    program a run of the same starts compiled: the sweep compiles its family alone."""
    starts, steps = [[1.0, 1.0], [-0.5, 0.3]], 1000
    rates = SLIDER.values()[350:560]  # 0.003 ... 0.4, the fastest rates tied at a check
    descent = descent_for(QUADRATIC, "sgd")
    descent.run(starts, steps, {"learning_rate": 0.01})  # as a dashboard's own run
    QUADRATIC.value([1.0, 1.0])
    looked_up = []
    exact = SweepJob._exact
    monkeypatch.setattr(SweepJob, "_exact", lambda job, i: looked_up.append(i) or exact(job, i))
    sweep = None

    def run() -> None:
        nonlocal sweep
        sweep = learning_rate_sweep(QUADRATIC, "sgd", starts, steps, rates=rates)

    compiled = compiled_during(run)
    assert looked_up and looked_up[0].size > 1  # ties were settled
    assert len(compiled) == 1, compiled  # the finals-only family, nothing for the ties
    single = [descent.run(starts, steps, {"learning_rate": float(r)}) for r in sweep.best_rate]
    for j, run_ in enumerate(single):
        m = int(np.flatnonzero(sweep.rates == sweep.best_rate[j])[0])
        tied = looked_up[0][sweep.final_loss[j, looked_up[0]] <= sweep.final_loss[j, m] + 1e-6]
        exact_steps = [int(descent.run(starts, steps, {"learning_rate": float(sweep.rates[t])})
                           .converged_at[j]) for t in tied]  # fmt: skip
        assert int(run_.converged_at[j]) == min(s for s in exact_steps if s >= 0)


def test_sweep_members_equal_single_runs():
    rates = [0.003, 0.05, 0.3]
    s = learning_rate_sweep(Objective(goldfield), "momentum", [[0.1, 0.1]], 200,
                            {"momentum": 0.5}, rates=rates)  # fmt: skip
    for m, rate in enumerate(rates):
        run = trajectories(Objective(goldfield), "momentum", [[0.1, 0.1]], 200,
                           {"momentum": 0.5, "learning_rate": rate})  # fmt: skip
        if run.diverged_at[0] >= 0:
            # Finals keep the last finite *checked* point: only the verdict must agree.
            assert s.diverged[0, m]
            continue
        assert s.final_loss[0, m] == pytest.approx(float(run.loss[0, -1]), rel=1e-6)
        assert not s.diverged[0, m]
    assert s.theory == "2 (1 + β) / λmax"
    # goldfield's minimum (1, 1) has lambda_max = 13.66: 2 (1 + 0.5) / 13.66.
    assert s.theory_limit[0] == pytest.approx(3 / 13.656854, rel=1e-3)


def test_diverged_means_ending_above_the_start_or_non_finite():
    s = learning_rate_sweep(Objective(lambda x: x**2), "sgd", [[1.0]], 20,
                            rates=[0.5, 1.0, 1.01, 5.0])  # fmt: skip
    # 1.0 oscillates between 1 and -1 (loss stays 1: not above the start).
    assert s.diverged.tolist() == [[False, False, True, True]]
    assert s.stable_limit.tolist() == [1.0]
    assert s.converged_at[0, 2:].tolist() == [-1, -1]


def test_no_theory_limit_for_other_optimizers_or_without_a_minimum():
    s = learning_rate_sweep(Objective(goldfield), "adam", [[0.1, 0.1]], 100, rates=[0.01, 0.1])
    assert s.theory_limit == (None,) and s.theory == ""
    # x - y has no minimum: every run keeps going.
    s = learning_rate_sweep(Objective(lambda x, y: x - y), "sgd", [[0.0, 0.0]], 50,
                            rates=[0.01, 0.1])  # fmt: skip
    assert s.theory_limit == (None,)


def test_chunked_sweep_equals_one_call():
    rates = SLIDER.values()[250:400]
    descent = descent_for(Objective(goldfield), "sgd")
    whole = learning_rate_sweep(Objective(goldfield), "sgd", [[0.1, 0.1]], 300, rates=rates)
    job = SweepJob(descent, [[0.1, 0.1]], 300, rates=rates, run_seconds=2e-4)
    while not job.advance(0.004):
        pass
    assert len(job._parts) >= 2  # the rates went in groups, one family call each
    part = job.result()
    np.testing.assert_array_equal(part.final_loss, whole.final_loss)
    np.testing.assert_array_equal(part.converged_at, whole.converged_at)
    assert part.best_rate.tolist() == whole.best_rate.tolist()


def test_a_slow_objectives_sweep_goes_a_few_steps_at_a_time():
    """A run slower than a quarter of the budget: each rate a ChunkedRun (exact steps)."""
    rates = SLIDER.values()[300:420:8]
    whole = learning_rate_sweep(Objective(goldfield), "sgd", [[0.1, 0.1]], 300, rates=rates)
    job = SweepJob(descent_for(Objective(goldfield), "sgd"), [[0.1, 0.1]], 300, rates=rates,
                   run_seconds=1.0)  # fmt: skip
    while not job.advance(0.002):
        pass
    assert len(job._parts) == len(rates)  # one rate at a time
    part = job.result()
    np.testing.assert_array_equal(part.diverged, whole.diverged)
    settled = ~whole.diverged
    np.testing.assert_allclose(part.final_loss[settled], whole.final_loss[settled], rtol=1e-6)
    # Checked every step here, every 32 steps in finals: never later, at most 31 earlier.
    converged = whole.converged_at >= 0
    gap = whole.converged_at[converged] - part.converged_at[converged]
    assert (gap >= 0).all() and (gap < 32).all()


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ([], "give at least one value"),
        ([[0.1, 0.2]], "flat sequence"),
        ([0.1, -1.0], "outside the allowed range"),
        ("0.1", "flat sequence"),
    ],
)
def test_bad_rates_are_refused_in_one_sentence(rates, message):
    with pytest.raises((DescentConfigError, OptimizerError), match=message):
        learning_rate_sweep(Objective(goldfield), "sgd", [[0.1, 0.1]], 50, rates=rates)


def test_widget_sweep_is_the_slider_grid_and_kept_per_inputs():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.5, -0.5)])
    s = w.learning_rate_sweep()
    assert s.rates.tolist() == SLIDER.values()
    assert s.final_loss.shape == s.converged_at.shape == s.diverged.shape == (2, 601)
    assert s.stable_limit.shape == s.best_rate.shape == (2,)
    assert w.learning_rate_sweep() is s
    w.learning_rate = 0.02  # the rate alone: the same sweep
    assert w.learning_rate_sweep() is s
    w.steps = 400
    again = w.learning_rate_sweep()
    assert again is not s and again.steps == 400
    explicit = w.learning_rate_sweep(rates=[0.01, 0.1])
    assert explicit.rates.tolist() == [0.01, 0.1]
    w.close()


def test_sweep_panel_follows_the_dashboard():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.5, -0.5)])
    assert w.sweep_task.panel is None  # made when first shown
    w.control_panel.sweep_toggle.value = True  # as a click in the browser
    assert w.show_sweep
    panel = w.sweep_task.panel
    assert w.plots.children[-1] is panel.figure
    assert panel.theory_label.text.tolist() == ["2 / λmax = 0.146"]
    assert panel.curves.y.shape == (2, 601)
    assert panel.band.visible
    curves = panel.curves.y.copy()
    w.learning_rate = 0.02  # moves the marker only
    assert panel.marker.x.tolist() == pytest.approx([0.02, 0.02])
    np.testing.assert_array_equal(panel.curves.y, curves)
    w.optimizer = "momentum"  # recomputed
    assert panel.theory_label.text.tolist()[0].startswith("2 (1 + β) / λmax")
    w.optimizer = optax.adam(0.1)
    assert not panel.curves.visible and "built in" in panel.figure.title
    w.control_panel.sweep_toggle.value = False
    assert not w.show_sweep and panel.figure not in w.plots.children
    w.close()


def test_a_click_in_the_sweep_sets_the_learning_rate():
    w = GradDescentWidget(goldfield)
    w.show_sweep = True
    w.sweep_task.panel.clicks.x = np.float32([10**-1.3])  # the browser adds the clicked point
    assert w.learning_rate == pytest.approx(SLIDER.snapped(10**-1.3))
    assert w.sweep_task.panel.clicks.x.size == 0  # consumed
    w.sweep_task.panel.clicks.x = np.float32([900.0])  # outside the plot: the largest rate shown
    assert w.learning_rate == pytest.approx(10.0)
    assert w.status[0]["summary"].startswith("diverged")
    w.close()
