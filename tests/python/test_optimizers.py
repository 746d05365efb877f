"""The optimizer registry: one source of names, ranges and defaults."""

import optax
import pytest

from jaxgrad_widgets.engine import OPTIMIZERS, OptimizerError, resolve_optimizer
from jaxgrad_widgets.engine.optimizers import HYPERPARAMETERS


def test_registry_names_and_hyperparameters():
    assert sorted(OPTIMIZERS) == [
        "adagrad",
        "adam",
        "momentum",
        "nesterov",
        "newton",
        "rmsprop",
        "saddle_free_newton",
        "sgd",
    ]
    for spec in OPTIMIZERS.values():
        assert spec.hyperparameters[0].name == "learning_rate"
        for h in spec.hyperparameters:
            assert h.low <= h.default <= h.high
            assert h.low > 0 or not h.log
    assert [h.name for h in OPTIMIZERS["momentum"].hyperparameters] == ["learning_rate", "momentum"]


def test_every_factory_builds_with_its_defaults():
    for spec in OPTIMIZERS.values():
        tx = optax.inject_hyperparams(spec.factory)(**spec.defaults())
        assert callable(tx.init) and callable(tx.update)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(OptimizerError) as err:
        resolve_optimizer("adamw2")
    assert str(err.value) == (
        "unknown optimizer 'adamw2'; choose one of: adagrad, adam, momentum, nesterov, "
        "newton, rmsprop, saddle_free_newton, sgd (or pass an optax.GradientTransformation)"
    )


def test_object_that_is_not_an_optimizer_is_explained():
    with pytest.raises(OptimizerError) as err:
        resolve_optimizer(0.1)
    assert str(err.value) == (
        "optimizer must be a name (adagrad, adam, momentum, nesterov, newton, rmsprop, "
        "saddle_free_newton, sgd) or an "
        "optax.GradientTransformation such as optax.adam(0.01), not a float"
    )


def test_clamp_keeps_browser_values_in_range():
    lr = OPTIMIZERS["sgd"].hyperparameter("learning_rate")
    assert lr.clamp(1e9) == lr.high
    assert lr.clamp(-1) == lr.low
    assert lr.clamp(float("nan")) == lr.default
    assert lr.clamp("x") == lr.default


def test_optimizers_that_share_a_hyperparameter_share_its_range():
    # One slider (and one check) per name serves every optimizer that takes it.
    assert list(HYPERPARAMETERS) == ["learning_rate", "momentum", "decay", "b1", "b2"]
    for spec in OPTIMIZERS.values():
        for h in spec.hyperparameters:
            first = HYPERPARAMETERS[h.name]
            assert (h.label, h.low, h.high, h.log) == (first.label, first.low, first.high,
                                                       first.log)  # fmt: skip
