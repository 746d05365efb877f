"""Family mode: one descent at many values of one hyperparameter, each member exact."""

import math

import jax
import numpy as np
import optax
import pytest

from jaxgrad_widgets.engine import (
    DEFAULT_LIMITS,
    Descent,
    DescentConfigError,
    Family,
    Finals,
    Limits,
    Minibatch,
    Objective,
    OptimizerError,
    Trajectories,
    descent_for,
    family_trajectories,
)
from jaxgrad_widgets.functions import gaussian_negloglike, goldfield

FIELDS = ("params", "loss", "grad", "diverged_at", "converged_at")
FINAL_FIELDS = ("params", "loss", "diverged_at", "converged_at")
#: From slow to diverging on goldfield (sgd diverges from about 0.2).
RATES = [1e-4, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]


@pytest.fixture(scope="module")
def gold():
    return Objective(goldfield)


@pytest.fixture(scope="module")
def nll():
    data = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (1000,)) * 2.0 - 3.0)
    return Objective(gaussian_negloglike, argnums=(0, 1), fixed={"data": data})


def _starts(name, k):
    rng = np.random.default_rng(k)
    if name == "gold":
        return rng.uniform(-2, 2, (k, 2)).astype(np.float32)
    # mu and log sigma around the Gaussian likelihood's minimum (-3, log 2).
    return np.stack([rng.uniform(-8, 2, k), rng.uniform(-1, 2, k)], -1).astype(np.float32)


def _assert_members_equal_single_runs(fam, descent, starts, steps, hyper, **options):
    finals = fam.finals
    assert isinstance(fam, Family) and fam.n_members == len(fam.values)
    for m, value in enumerate(fam.values):
        member_hyper = {**hyper, fam.vary: float(value)}
        if finals:
            single = descent.finals(starts, steps, member_hyper, **options)
        else:
            single = descent.run(starts, steps, member_hyper, **options)
        member = fam.member(m)
        assert isinstance(member, Finals if finals else Trajectories)
        for field in FINAL_FIELDS if finals else FIELDS:
            np.testing.assert_array_equal(
                getattr(member, field), getattr(single, field), err_msg=f"member {m}: {field}"
            )
        if not finals:
            assert member.tolerance == single.tolerance


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("k", [1, 16])
@pytest.mark.parametrize("name", ["gold", "nll"])
@pytest.mark.parametrize("finals", [False, True])
def test_every_member_is_its_single_run_bit_for_bit(request, optimizer, k, name, finals):
    objective = request.getfixturevalue(name)
    descent = descent_for(objective, optimizer)
    starts, steps = _starts(name, k), 300
    hyper = {"momentum": 0.8} if optimizer == "momentum" else {}
    fam = descent.family(starts, steps, hyper, values=RATES, finals=finals)
    assert fam.params.shape == ((10, k, 2) if finals else (10, k, steps + 1, 2))
    assert fam.loss.shape == fam.params.shape[:-1]
    assert fam.diverged_at.shape == fam.converged_at.shape == (10, k)
    assert (fam.grad is None) if finals else (fam.grad.shape == fam.params.shape)
    _assert_members_equal_single_runs(fam, descent, starts, steps, hyper)


@pytest.mark.parametrize(
    ("optimizer", "vary", "values"),
    [("momentum", "momentum", [0.0, 0.5, 0.9, 0.99]), ("adam", "b1", [0.0, 0.5, 0.9])],
)
def test_any_hyperparameter_can_vary(gold, optimizer, vary, values):
    descent = descent_for(gold, optimizer)
    starts = _starts("gold", 4)
    hyper = {"learning_rate": 0.02, vary: 0.3}  # hyper's own value of vary is ignored
    fam = descent.family(starts, 200, hyper, vary=vary, values=values)
    assert fam.vary == vary and fam.values.tolist() == values
    _assert_members_equal_single_runs(fam, descent, starts, 200, hyper)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("k", [1, 16])
def test_minibatch_members_see_the_single_runs_minibatches(nll, optimizer, k):
    descent = descent_for(nll, optimizer)
    starts, batch = _starts("nll", k), Minibatch(32, seed=7)
    fam = descent.family(starts, 300, values=[0.01, 0.1, 0.5], minibatch=batch)
    _assert_members_equal_single_runs(fam, descent, starts, 300, {}, minibatch=batch)
    # The noise is the same draw at every rate: a full-gradient family differs.
    full = descent.family(starts, 300, values=[0.01, 0.1, 0.5])
    assert np.abs(full.loss - fam.loss).max() > 1e-3


@pytest.mark.parametrize("finals", [False, True])
def test_mask_and_tolerance_reach_every_member(gold, finals):
    descent = descent_for(gold, "momentum")
    starts = _starts("gold", 3)
    options = {"mask": [1.0, 0.0], "tol": 1e-2}
    fam = descent.family(starts, 400, values=[0.01, 0.05, 0.1], finals=finals, **options)
    _assert_members_equal_single_runs(fam, descent, starts, 400, {}, **options)
    if not finals:
        assert np.all(fam.params[..., 1] == starts[None, :, None, 1])  # y never moves


def test_diverging_members_keep_their_finite_steps(gold):
    fam = family_trajectories(gold, "sgd", [[0.5, -0.5], [1.5, 1.5]], 300, values=RATES)
    diverged = fam.diverged_at >= 0
    assert diverged.any() and (~diverged).any()
    assert diverged[-1].all() and not diverged[0].any()
    for m in range(fam.n_members):
        member = fam.member(m)
        for start in range(2):
            length = member.valid_length(start)
            expected = 301 if fam.diverged_at[m, start] < 0 else fam.diverged_at[m, start]
            assert length == expected
            assert np.isfinite(member.params[start, :length]).all()
            if length < 301:
                assert member.summary(start) == f"diverged at step {length}"


def test_padding_the_members_changes_no_result(gold):
    descent = descent_for(gold, "adam")
    starts = _starts("gold", 5)
    three = descent.family(starts, 250, values=[0.01, 0.1, 0.3])  # padded to 4
    five = descent.family(starts, 250, values=[0.01, 0.1, 0.3, 0.02, 0.04])  # padded to 8
    ones = [descent.family(starts, 250, values=[v]) for v in (0.01, 0.1, 0.3)]
    assert three.params.shape[0] == 3 and five.params.shape[0] == 5
    for m in range(3):
        for field in FIELDS:
            np.testing.assert_array_equal(getattr(three, field)[m], getattr(five, field)[m])
            np.testing.assert_array_equal(getattr(three, field)[m], getattr(ones[m], field)[0])


@pytest.mark.parametrize("finals", [False, True])
def test_changing_the_values_never_recompiles(gold, finals):
    descent = Descent(gold, "momentum")  # its own kernels: nothing compiled by other tests
    starts = _starts("gold", 4)
    descent.family(starts, 300, values=[0.01, 0.02, 0.03], finals=finals)
    traces = descent.trace_count
    assert traces == 1
    descent.family(starts, 300, {"momentum": 0.5}, values=[0.05, 0.1, 0.2], finals=finals)
    descent.family(starts, 300, values=[0.001, 0.3, 0.5, 0.9], finals=finals)  # 4: same bucket
    descent.family(starts, 400, values=[0.2, 0.4, 0.6], finals=finals)  # steps are traced too
    assert descent.trace_count == traces
    descent.family(starts, 300, values=[0.02], finals=finals)  # 1 member: another bucket
    assert descent.trace_count == traces + 1


def test_values_are_kept_as_given(gold):
    values = np.array([1e-5, 0.1 + 1e-12, 10.0])
    fam = family_trajectories(gold, "sgd", [0.1, 0.1], 5, values=values)
    assert fam.values.dtype == np.float64 and fam.values.tolist() == values.tolist()
    assert fam.steps == 5 and fam.n_starts == 1 and not fam.finals


def test_the_module_function_is_the_method(gold):
    starts = _starts("gold", 2)
    fam = family_trajectories(gold, "rmsprop", starts, 100, {"decay": 0.8}, values=[0.01, 0.1])
    again = descent_for(gold, "rmsprop").family(starts, 100, {"decay": 0.8}, values=[0.01, 0.1])
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(fam, field), getattr(again, field))


def _goldfield_if(x, y):
    """goldfield behind a Python `if`: jit cannot trace it."""
    value = 2 * x**2 - 4 * x * y + y**4 + 2
    return value if x > -100 else value + 1.0


@pytest.mark.filterwarnings("ignore::jaxgrad_widgets.engine.NotJittableWarning")
@pytest.mark.parametrize("finals", [False, True])
def test_unjittable_objectives_run_one_member_after_another(finals):
    objective = Objective(_goldfield_if)
    assert not objective.jittable
    descent = descent_for(objective, "sgd")
    starts = [[0.1, 0.1], [1.5, 1.5]]
    fam = descent.family(starts, 40, values=[0.05, 0.5], finals=finals)
    assert fam.params.shape == ((2, 2, 2) if finals else (2, 2, 41, 2))
    _assert_members_equal_single_runs(fam, descent, starts, 40, {})
    assert fam.diverged_at[1].max() >= 0 and fam.diverged_at[0].max() < 0


# ----------------------------------------------------------------------------- errors
def _error(gold, exception, message, optimizer="sgd", limits=DEFAULT_LIMITS, *,
           starts=((0.1, 0.1),), steps=10, **kwargs):  # fmt: skip
    """A family of ``gold`` with these arguments raises ``exception`` saying ``message``."""
    with pytest.raises(exception) as info:
        descent_for(gold, optimizer, limits).family(starts, steps, **{"values": [0.1, 0.2],
                                                                     **kwargs})  # fmt: skip
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"vary": "momentum"},
            "sgd has no hyperparameter 'momentum'; its hyperparameters are: learning_rate",
        ),
        ({"vary": 3}, "vary must be the name of a hyperparameter, not 3"),
        (
            {"values": [0.1, 20.0]},
            "values[1]: learning rate = 20 is outside the allowed range [1e-05, 10]",
        ),
        ({"values": [0.1, "fast"]}, "values[1]: learning rate must be a number, not 'fast'"),
        (
            {"values": [float("nan")]},
            "values[0]: learning rate must be a finite number, not nan",
        ),
    ],
)
def test_bad_hyperparameters_are_explained(gold, kwargs, message):
    _error(gold, OptimizerError, message, **kwargs)


def test_a_ready_optax_transformation_has_nothing_to_vary(gold):
    _error(
        gold,
        OptimizerError,
        "the custom (GradientTransformationExtraArgs) optimizer has its hyperparameters built "
        "in, so it has none to vary; pass the optimizer by name (for example 'sgd') to vary "
        "its hyperparameters",
        optimizer=optax.adam(0.1),
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": []}, "give at least one value of learning_rate to vary"),
        ({"values": 0.1}, "values must be a flat sequence of numbers (one per member), not 0.1"),
        (
            {"values": "0.1"},
            "values must be a flat sequence of numbers (one per member), not '0.1'",
        ),
        (
            {"values": [[0.1, 0.2]]},
            "values must be a flat sequence of numbers (one per member), not an array of "
            "shape (1, 2)",
        ),
        (
            {"values": [[0.1], [0.2, 0.3]]},
            "values must be a flat sequence of numbers (one per member), not a ragged list",
        ),
        (
            {"values": [0.1] * 1025},
            "1025 values of learning_rate is more than the maximum of 1024",
        ),
        (
            {"minibatch": Minibatch(4), "finals": True},
            "finals=True takes full gradients, as final_points does; "
            "minibatches work in path mode (finals=False)",
        ),
        ({"steps": 0}, "steps=0: take at least 1 step"),
    ],
)
def test_bad_family_settings_are_explained(gold, kwargs, message):
    _error(gold, DescentConfigError, message, **kwargs)


def test_work_is_bounded(gold):
    small = Limits(max_points=1000, max_final_starts=100, max_members=8)
    _error(
        gold,
        DescentConfigError,
        "9 values of learning_rate is more than the maximum of 8",
        limits=small,
        values=[0.1] * 9,
    )
    _error(
        gold,
        DescentConfigError,
        "8 values x 2 starts x 99 steps records 1,600 points, more than the maximum of "
        "1,000; use fewer values, starts or steps, or finals=True",
        limits=small,
        starts=[[0.1, 0.1], [0.2, 0.2]],
        steps=99,
        values=[0.1] * 8,
    )
    _error(
        gold,
        DescentConfigError,
        "8 values x 20 starts is 160 final points, more than the maximum of 100; "
        "use fewer values or starts",
        limits=small,
        starts=np.zeros((20, 2)),
        values=[0.1] * 8,
        finals=True,
    )
    # Within the limits, the same requests run.
    descent = descent_for(gold, "sgd", small)
    assert descent.family([[0.1, 0.1]], 99, values=[0.1] * 8).params.shape == (8, 1, 100, 2)
    assert descent.family(np.zeros((12, 2)), 99, values=[0.1] * 8, finals=True).n_starts == 12


def test_members_are_chosen_by_index(gold):
    fam = family_trajectories(gold, "sgd", [[0.1, 0.1]], 10, values=[0.1, 0.2])
    assert fam.member(np.int64(1)).params.shape == (1, 11, 2)
    with pytest.raises(IndexError, match=r"^member 2 does not exist: this family has 2 members, "
                       r"0 to 1$"):  # fmt: skip
        fam.member(2)
    with pytest.raises(IndexError, match="member -1 does not exist"):
        fam.member(-1)
    with pytest.raises(TypeError, match=r"^a member is chosen by its index, not by 0.1$"):
        fam.member(0.1)


def test_the_minibatch_size_is_still_checked(nll):
    with pytest.raises(DescentConfigError, match="more than the 1,000 rows of data"):
        family_trajectories(nll, "sgd", [[-6.0, math.log(2.0)]], 10, values=[0.1],
                            minibatch=Minibatch(2000))  # fmt: skip
