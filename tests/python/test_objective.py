"""Objective: signatures of every shape, and plain-words errors for bad functions."""

import functools
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets.engine import NotJittableWarning, Objective, ObjectiveError, trajectories
from jaxgrad_widgets.functions import gaussian_negloglike, goldfield


def test_names_and_packing_for_each_signature_style():
    assert Objective(goldfield).names == ("x", "y")
    vector = Objective(lambda p: jnp.sum((p - 1.0) ** 2), example=[0.0, 0.0, 0.0])
    assert vector.names == ("p[0]", "p[1]", "p[2]")
    assert vector.dim == 3
    data = jnp.array([1.0, 2.0, 3.0])
    assert Objective(gaussian_negloglike, argnums=(0, 1), fixed={"data": data}).names == (
        "mu",
        "log_sigma",
    )
    assert Objective(functools.partial(gaussian_negloglike, data=data)).names == (
        "mu",
        "log_sigma",
    )
    # argnums picks and orders the optimised arguments; the other is bound.
    only_y = Objective(goldfield, argnums=1, fixed={"x": 1.0})
    assert only_y.names == ("y",)
    assert float(only_y.value(1.0)) == float(goldfield(1.0, 1.0))


def test_default_arguments_are_not_optimised():
    def scaled(x, scale=3.0):
        return scale * x**2

    obj = Objective(scaled)
    assert obj.names == ("x",)
    assert float(obj.value(2.0)) == 12.0
    assert float(Objective(scaled, fixed={"scale": 1.0}).value(2.0)) == 4.0


def test_mixed_vector_and_scalar_arguments():
    def f(w, b):
        return jnp.sum(w**2) + b**2

    obj = Objective(f, example=([1.0, 2.0], 3.0))
    assert obj.names == ("w[0]", "w[1]", "b")
    assert float(obj.value([1.0, 2.0, 3.0])) == 14.0
    np.testing.assert_allclose(obj.grad([1.0, 2.0, 3.0]), [2.0, 4.0, 6.0])


def test_python_control_flow_still_works_unjitted_with_a_warning():
    def absolute(x):
        if x > 0:
            return x
        return -x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = Objective(absolute)
    assert not obj.jittable
    (warning,) = [w for w in caught if issubclass(w.category, NotJittableWarning)]
    assert "absolute cannot be compiled with jax.jit" in str(warning.message)
    assert "use jnp.where instead" in str(warning.message)
    run = trajectories(obj, "sgd", [[2.0]], 5, {"learning_rate": 0.25})
    np.testing.assert_allclose(run.params[0, :, 0], [2.0, 1.75, 1.5, 1.25, 1.0, 0.75])


def _raises(f, **kwargs):
    with pytest.raises(ObjectiveError) as err:
        Objective(f, **kwargs)
    return str(err.value)


def test_wrong_arity_is_explained():
    assert _raises(goldfield, argnums=0) == (
        "goldfield takes 2 arguments (x, y) but 'y' is neither optimised nor bound: "
        "pass y=... or include it in argnums"
    )


def test_unbound_middle_argument_is_explained():
    def f(a, b, c):
        return a + b + c

    assert _raises(f, argnums=(0, 2)) == (
        "f needs a value for 'b': pass b=... to bind it, or include its position (1) in argnums"
    )


def test_keyword_only_parameter_without_value_is_explained():
    def f(x, *, scale):
        return scale * x

    assert _raises(f) == "f's keyword-only parameter 'scale' needs a value: pass scale=..."


def test_unknown_fixed_keyword_is_explained():
    assert _raises(goldfield, fixed={"z": 1.0}) == (
        "goldfield has no parameter named 'z'; its parameters are: x, y"
    )


def test_non_scalar_output_is_explained():
    def three(x):
        return jnp.array([x, x, x])

    assert _raises(three) == (
        "three returned an array of shape (3,); the objective must return a single real "
        "number (sum it, average it or pick one element)"
    )


def test_complex_string_none_bool_and_integer_outputs_are_explained():
    def complex_out(x):
        return x * 1j

    def string_out(x):
        return "low"

    def none_out(x):
        x**2

    def bool_out(x):
        return x > 0

    def integer_out(x):
        return int(x) ** 2

    assert "complex_out returned a complex number" in _raises(complex_out)
    assert _raises(string_out) == (
        "string_out returned a string ('low'); the objective must return a single real number"
    )
    assert _raises(none_out) == (
        "none_out returned None; the objective must return a single real number "
        "(is a `return` missing?)"
    )
    assert "bool_out returned True/False" in _raises(bool_out)
    assert "integer_out returned an integer (int32)" in _raises(integer_out)


def test_a_raising_function_keeps_its_message():
    def broken(x, y):
        raise RuntimeError("the model is not ready")

    assert _raises(broken) == (
        "broken raised RuntimeError: the model is not ready (evaluated at x=0.3, y=0.3)"
    )


def test_vector_argument_without_example_gets_a_hint():
    message = _raises(lambda p: p[0] ** 2 + p[1] ** 2)
    assert message.startswith("the function raised IndexError")
    assert "give a start with its size, e.g. start=[0.0, 0.0]" in message


def test_non_callable_is_explained():
    assert _raises(42) == (
        "an int is not a function; pass a Python function such as `def f(x, y): return x**2 + y**2`"
    )
    assert _raises("x**2").startswith("a str is not a function; ")
    assert _raises([1.0]).startswith("a list is not a function; ")
    assert _raises(object()).startswith("an object is not a function; ")


def test_the_article_follows_the_kind():
    from jaxgrad_widgets.engine.errors import a_type

    assert [a_type(v) for v in (42, 1.5, "s", None, {}, ())] == [
        "an int", "a float", "a str", "None", "a dict", "a tuple",
    ]  # fmt: skip

    def odd_out(x, y):
        return object()

    assert _raises(odd_out) == (
        "odd_out returned an object; the objective must return a single real number"
    )


@pytest.mark.parametrize(
    ("argnums", "message"),
    [
        (
            (0, 2),
            "argnums=(0, 2) is out of range: goldfield takes 2 positional arguments (x, y), "
            "so each argnum must be between 0 and 1",
        ),
        (
            -1,
            "argnums=(-1,) is out of range: goldfield takes 2 positional arguments (x, y), "
            "so each argnum must be between 0 and 1",
        ),
        ((0, 0), "argnums=(0, 0) names an argument twice; list each one once"),
        ((), "argnums is empty; choose at least one argument to optimise"),
        ("x", "argnums must contain integers, not 'x'"),
        (1.5, "argnums must be an integer or a tuple of integers such as (0, 1), not 1.5"),
    ],
)
def test_bad_argnums_are_explained(argnums, message):
    assert _raises(goldfield, argnums=argnums) == message


def test_argument_both_chosen_and_bound_is_explained():
    assert _raises(goldfield, argnums=(0, 1), fixed={"y": 1.0}) == (
        "'y' is both chosen in argnums and bound to a fixed value; do one or the other"
    )


def test_points_of_the_wrong_size_are_explained():
    with pytest.raises(
        ObjectiveError, match=r"a point of goldfield needs 2 numbers \(x, y\), got 3"
    ):
        Objective(goldfield).value([1.0, 2.0, 3.0])


def test_no_jax_traceback_in_the_chain():
    def broken(x):
        raise ValueError("bad")

    with pytest.raises(ObjectiveError) as err:
        Objective(broken)
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__
