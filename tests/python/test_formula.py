"""Typed formulas: the whitelist parser and the FormulaBox a browser talks to.

What the parser lets through computes the same values and gradients as the
hand-written functions; everything else is refused with its own one-sentence message
(a catalogue of hostile strings, each with the exact message); nothing reaches
``eval``, ``exec`` or a code-compiling ``compile``; and random text only ever gives a
formula or a FormulaError. The FormulaBox is driven the way a browser drives it:
a comm update of the Text's value and a click message for the Apply button.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import math
import time
import types

import ipywidgets
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxgrad_widgets
from jaxgrad_widgets import FormulaBox, FormulaError, GradDescentWidget, parse_formula
from jaxgrad_widgets.engine import JaxGradError, ObjectiveError
from jaxgrad_widgets.formula import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_PARENTHESES,
    Formula,
)
from jaxgrad_widgets.functions import goldfield, himmelblau, rosenbrock
from jaxgrad_widgets.widgets import formula_box, looks

FUNCTION_LIST = "abs, arctan, atan, cos, cosh, exp, log, sin, sinh, sqrt, tan, tanh"
UNKNOWN_NAME = "; use x, y, pi, e or one of the functions " + FUNCTION_LIST
UNKNOWN_FUNCTION = "; the functions are " + FUNCTION_LIST
POINTS = [(0.1, 0.1), (1.0, 1.0), (-1.3, 0.7), (0.5, -2.0)]


def _refusal(text, variables=("x", "y")):
    with pytest.raises(FormulaError) as err:
        parse_formula(text, variables)
    return str(err.value)


def _grad(f, point):
    return [float(g) for g in jax.grad(f, argnums=(0, 1))(*point)]


# ---------------------------------------------------------------------- what is allowed
@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("2*x**2 - 4*x*y + y**4 + 2", goldfield),
        ("(1 - x)**2 + 100*(y - x**2)**2", rosenbrock),
        ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", himmelblau),
    ],
    ids=["goldfield", "rosenbrock", "himmelblau"],
)
def test_a_formula_computes_what_the_function_computes(text, reference):
    f = parse_formula(text)
    for point in POINTS:
        assert float(f(*point)) == pytest.approx(float(reference(*point)), rel=1e-6)
        assert _grad(f, point) == pytest.approx(_grad(reference, point), rel=1e-5, abs=1e-6)


def test_the_goldfield_formula_gives_goldfields_gradient_exactly():
    # Whole exponents become integer powers, so the gradient matches to the last bit.
    f = parse_formula("2*x**2 - 4*x*y + y**4 + 2")
    for point in POINTS:
        assert _grad(f, point) == _grad(goldfield, point)


@pytest.mark.parametrize(
    ("text", "x", "expected"),
    [
        ("sin(x)", 0.5, math.sin(0.5)),
        ("cos(x)", 0.5, math.cos(0.5)),
        ("tan(x)", 0.5, math.tan(0.5)),
        ("arctan(x)", 0.5, math.atan(0.5)),
        ("atan(x)", 0.5, math.atan(0.5)),
        ("sinh(x)", 0.5, math.sinh(0.5)),
        ("cosh(x)", 0.5, math.cosh(0.5)),
        ("tanh(x)", 0.5, math.tanh(0.5)),
        ("exp(x)", 0.5, math.exp(0.5)),
        ("log(x)", 0.5, math.log(0.5)),
        ("sqrt(x)", 0.5, math.sqrt(0.5)),
        ("abs(x)", -0.5, 0.5),
        ("pi * x", 2.0, 2 * math.pi),
        ("e**x", 2.0, math.e**2),
        ("-x", 2.0, -2.0),
        ("+x", 2.0, 2.0),
        ("x / 4", 2.0, 0.5),
        ("x**0.5", 4.0, 2.0),
        ("x**-2", 2.0, 0.25),
        ("x**(1/2)", 9.0, 3.0),
        ("x**3", -2.0, -8.0),
        ("2**x", 3.0, 8.0),
        ("1e-3 * x", 2.0, 0.002),
        ("1_000 * x", 2.0, 2000.0),
        ("  x + 1  ", 2.0, 3.0),
        ("((((x))))", 2.0, 2.0),
        ("sin(cos(exp(x)))", 0.3, math.sin(math.cos(math.exp(0.3)))),
    ],
)
def test_each_allowed_piece_computes_its_value(text, x, expected):
    f = parse_formula(text, variables=("x",))
    assert float(f(x)) == pytest.approx(expected, rel=1e-5)
    assert FUNCTIONS.keys() == set(FUNCTION_LIST.split(", "))


def test_a_formula_is_a_function_of_its_variables_for_jax_and_the_widgets():
    f = parse_formula(" x**2 + 3*y ")
    assert isinstance(f, Formula)
    assert (f.text, f.variables, f.used) == ("x**2 + 3*y", ("x", "y"), ("x", "y"))
    assert str(inspect.signature(f)) == str(inspect.signature(f.function)) == "(x, y)"
    assert f.__name__ == f.function.__name__ == "f"
    assert f.function.__doc__ == "f(x, y) = x**2 + 3*y"
    assert repr(f) == "Formula('x**2 + 3*y', variables=('x', 'y'))"
    assert float(jax.jit(f.function)(2.0, 1.0)) == 7.0
    assert float(f(y=1.0, x=2.0)) == 7.0
    assert float(f(2, 1)) == 7.0  # whole numbers are computed as floats
    assert jax.vmap(f)(jnp.arange(3.0), jnp.ones(3)).tolist() == [3.0, 4.0, 7.0]
    with pytest.raises(TypeError, match="missing a required argument: 'y'"):
        f(1.0)


def test_variables_are_declared_by_the_programmer():
    f = parse_formula("a*b + a", variables=("a", "b"))
    assert float(f(2.0, 3.0)) == 8.0
    assert parse_formula("x + 1").used == ("x",)
    assert parse_formula("2").used == ()
    assert _refusal("x + y", variables=("x",)) == "unknown name 'y'; use x, pi, e or " + (
        "one of the functions " + FUNCTION_LIST
    )


NOT_A_VARIABLE = (
    " cannot be a variable: use a plain name such as x, y or w1 that is not a function or a "
    "constant"
)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ("xy", "variables must be a sequence of names such as ('x', 'y'), not 'xy'"),
        ((), "give at least one variable, such as ('x',)"),
        (("x", "x"), "the variables ('x', 'x') name one variable twice"),
        (("sin",), "'sin'" + NOT_A_VARIABLE),
        (("pi",), "'pi'" + NOT_A_VARIABLE),
        (("__x",), "'__x'" + NOT_A_VARIABLE),
        (("x y",), "'x y'" + NOT_A_VARIABLE),
        ((1,), "1" + NOT_A_VARIABLE),
    ],
)
def test_bad_variable_names_are_refused(variables, message):
    assert _refusal("1", variables) == message


def test_a_formula_error_is_a_jaxgrad_error_and_a_value_error():
    assert issubclass(FormulaError, JaxGradError)
    assert issubclass(FormulaError, ValueError)
    assert jaxgrad_widgets.parse_formula is parse_formula


# ---------------------------------------------------------------------- hostile strings
EXPONENT = "; exponents without a variable may be at most 100"
ASCII = " is not allowed; type plain ASCII letters, digits, spaces and + - * / ( ) . ,"
NEEDS_STAR = " (a product needs its *)"
NOT_CALLABLE = " is not one; write products with *, as in 2*(x + 1)"
TOO_BIG = " is too large; numbers may be at most 1000000000 in size"
OPERATOR = " is not allowed; use + - * / **"
NESTED = "; at most 16 levels are allowed"

HOSTILE = [
    # dunder access and attribute chains
    ("().__class__.__bases__", "attribute access (`.__bases__`) is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()",
     "attribute access (`.__subclasses__`) is not allowed"),
    ("x.__class__", "attribute access (`.__class__`) is not allowed"),
    ("x.real", "attribute access (`.real`) is not allowed"),
    ("x.real.imag.conjugate()", "attribute access (`.conjugate`) is not allowed"),
    ("jnp.sin(x)", "attribute access (`.sin`) is not allowed"),
    ("os.system('ls')", "attribute access (`.system`) is not allowed"),
    ("(1).__add__(2)", "attribute access (`.__add__`) is not allowed"),
    ("__builtins__", "unknown name '__builtins__'" + UNKNOWN_NAME),
    ("__name__", "unknown name '__name__'" + UNKNOWN_NAME),
    ("os", "unknown name 'os'" + UNKNOWN_NAME),
    ("jax", "unknown name 'jax'" + UNKNOWN_NAME),
    # imports and dangerous builtins
    ("__import__('os')", "unknown function '__import__'" + UNKNOWN_FUNCTION),
    ("__import__('os').system('rm -rf /')", "attribute access (`.system`) is not allowed"),
    ("import os", "`import` statements are not allowed"),
    ("from os import system", "`import` statements are not allowed"),
    ("exec('x')", "unknown function 'exec'" + UNKNOWN_FUNCTION),
    ("eval('1')", "unknown function 'eval'" + UNKNOWN_FUNCTION),
    ("compile('1', '', 'eval')", "unknown function 'compile'" + UNKNOWN_FUNCTION),
    ("open('/etc/passwd')", "unknown function 'open'" + UNKNOWN_FUNCTION),
    ("globals()", "unknown function 'globals'" + UNKNOWN_FUNCTION),
    ("getattr(x, 'real')", "unknown function 'getattr'" + UNKNOWN_FUNCTION),
    ("breakpoint()", "unknown function 'breakpoint'" + UNKNOWN_FUNCTION),
    ("arcsin(x)", "unknown function 'arcsin'" + UNKNOWN_FUNCTION),
    # functions, calls and arguments
    ("lambda: 1", "lambda functions are not allowed"),
    ("(lambda x: x)(1)", "only the named functions can be called and `lambda x: x`" + NOT_CALLABLE),
    ("sin(x)(1)", "`sin(x)(1)` is not a call of a function: write sin(x)*(1)" + NEEDS_STAR),
    ("2(x + 1)", "`2(x + 1)` is not a call of a function: write 2*(x + 1)" + NEEDS_STAR),
    ("(x+1)(x-1)", "`(x+1)(x-1)` is not a call of a function: write (x+1)*(x-1)" + NEEDS_STAR),
    ("x(1)", "x is not a function and cannot be called; write x*(...) for a product"),
    ("pi(2)", "pi is not a function and cannot be called; write pi*(...) for a product"),
    ("sin", "sin is a function: call it on a value, as in sin(x)"),
    ("sin(x, y)", "sin takes one argument, not 2 (`sin(x, y)`)"),
    ("sin()", "sin takes one argument, not 0 (`sin()`)"),
    ("sin(x=1)", "keyword arguments (`x=`) are not allowed"),
    ("sin(**{'x': 1})", "keyword arguments (`**`) are not allowed"),
    ("sin(*[x])", "starred arguments (`*[x]`) are not allowed"),
    ("def f(): return 1", "function definitions (`def`) are not allowed"),
    ("class A: pass", "class definitions are not allowed"),
    # comprehensions and other containers
    ("[x for x in ().__class__.__mro__]", "list comprehensions are not allowed"),
    ("{x for x in y}", "set comprehensions are not allowed"),
    ("{x: y for x in y}", "dict comprehensions are not allowed"),
    ("sum(x for x in y)", "unknown function 'sum'" + UNKNOWN_FUNCTION),
    ("(x for x in y)", "generator expressions are not allowed"),
    ("x[0]", "indexing (`x[0]`) is not allowed"),
    ("(1, 2)", "tuples (`(1, 2)`) are not allowed; the formula must give one number"),
    ("x, y", "tuples (`x, y`) are not allowed; the formula must give one number"),
    ("[x]", "lists (`[x]`) are not allowed"),
    ("{x}", "sets (`{x}`) are not allowed"),
    ("{1: 2}", "dicts (`{1: 2}`) are not allowed"),
    # strings
    ("'os'", "text in quotes (`'os'`) is not allowed"),
    ('"x" + "y"', 'text in quotes (`"x"`) is not allowed'),
    ("b'os'", "bytes (`b'os'`) are not allowed"),
    ("f'{x}'", "f-strings are not allowed"),
    ("'\\d'", "text in quotes (`'\\d'`) is not allowed"),
    # logic, comparisons, assignment
    ("x < y", "comparisons (`x < y`) are not allowed"),
    ("x == 1", "comparisons (`x == 1`) are not allowed"),
    ("x and y", "`and` and `or` are not allowed"),
    ("x or y", "`and` and `or` are not allowed"),
    ("not x", "the operator `not`" + OPERATOR),
    ("x if y else 1", "conditional expressions (`if ... else`) are not allowed"),
    ("(y := 1)", "assignment expressions (`:=`) are not allowed"),
    ("x = 1", "assignments (`=`) are not allowed; type only the expression"),
    ("x += 1", "assignments (`+=`, ...) are not allowed; type only the expression"),
    ("del x", "`del` statements are not allowed; type a single expression"),
    ("await x", "`await` is not allowed"),
    ("(yield x)", "`yield` is not allowed"),
    # operators outside the whitelist
    ("x % 2", "the operator `%`" + OPERATOR),
    ("x // 2", "the operator `//`" + OPERATOR),
    ("x @ y", "the operator `@`" + OPERATOR),
    ("x ^ y", "the operator `^`" + OPERATOR),
    ("x << 2", "the operator `<<`" + OPERATOR),
    ("~x", "the operator `~`" + OPERATOR),
    # numbers: huge, non-finite, non-real
    ("9**9**9", "the exponent in `9**9**9` is 387420489" + EXPONENT),
    ("10**1000", "the exponent in `10**1000` is 1000" + EXPONENT),
    ("x**500", "the exponent in `x**500` is 500" + EXPONENT),
    ("x**-101", "the exponent in `x**-101` is -101" + EXPONENT),
    ("x**(50*3)", "the exponent in `x**(50*3)` is 150" + EXPONENT),
    ("10**50", "`10**50` is too large: it is 1e+50, more than float32's largest number, 3.4e+38"),
    ("1e400", "the number `1e400`" + TOO_BIG),
    ("9" * 150, f"the number `{'9' * 37}...`" + TOO_BIG),
    ("0/0", "`0/0` is not a finite number (nan)"),
    ("1/0 + x", "`1/0` is not a finite number (inf)"),
    ("log(0)", "`log(0)` is not a finite number (-inf)"),
    ("sqrt(-1)", "`sqrt(-1)` is not a finite number (nan)"),
    ("(-8)**(1/3)", "`(-8)**(1/3)` is not a finite number (nan)"),
    ("exp(1000)", "`exp(1000)` is not a finite number (inf)"),
    ("1j", "complex numbers (`1j`) are not allowed"),
    ("True", "`True` is not a number"),
    ("None", "`None` is not a number"),
    ("...", "`...` is not a number"),
    # size and shape of the text
    ("x" + " + x" * 50, "the formula is 201 characters long; at most 200 are allowed"),
    ("1" * 10_000_000, "the formula is 10000000 characters long; at most 200 are allowed"),
    ("(" * 18 + "x" + ")" * 18, "the parentheses are nested 18 deep" + NESTED),
    ("[" * 40 + "]" * 40, "the parentheses are nested 40 deep" + NESTED),
    ("-" * 70 + "x", "the formula is nested more than 64 levels deep; write it more simply"),
    ("", "the formula is empty; type an expression such as x**2 + y**2"),
    ("   ", "the formula is empty; type an expression such as x**2 + y**2"),
    # statements, lines, characters
    ("x; y", "semicolons are not allowed; type a single expression"),
    ("x; import os", "`import` statements are not allowed"),
    ("x\nimport os", "line breaks are not allowed; write the formula on one line"),
    ("x\r+ y", "line breaks are not allowed; write the formula on one line"),
    ("x\t+ y", "the character '\\t' (U+0009) at position 2" + ASCII),
    ("x\x00", "the character '\\x00' (U+0000) at position 2" + ASCII),
    # Python folds these look-alikes to plain names (NFKC): refused before parsing.
    ("ｅｖａｌ('1')", "the character 'ｅ' (FULLWIDTH LATIN SMALL LETTER E) at position 1" + ASCII),
    ("𝐱 + y", "the character '𝐱' (MATHEMATICAL BOLD SMALL X) at position 1" + ASCII),
    ("x\u200b+ y", "the character '\\u200b' (ZERO WIDTH SPACE) at position 2" + ASCII),
    ("2x² − 4xy", "the character '²' at position 3 is not allowed; type **2 instead"),
    ("x − y", "the character '−' at position 3 is not allowed; type - instead"),
    # what cannot be read at all
    ("2x", "the formula cannot be read at `2x`: write 2*x" + NEEDS_STAR),
    ("2x + y", "the formula cannot be read at `2x`: write 2*x" + NEEDS_STAR),
    ("x + 2y**2", "the formula cannot be read at `2y`: write 2*y" + NEEDS_STAR),
    ("3xy", "the formula cannot be read at `3xy`: write 3*x*y" + NEEDS_STAR),
    ("1.5x", "the formula cannot be read at `1.5x`: write 1.5*x" + NEEDS_STAR),
    ("2 pi", "the formula cannot be read at `2 pi`: write 2*pi" + NEEDS_STAR),
    ("2sin(x)", "the formula cannot be read at `2sin(x)`: write 2*sin(x)" + NEEDS_STAR),
    ("(x+1)y", "the formula cannot be read at `(x+1)y`: write (x+1)*y" + NEEDS_STAR),
    ("sin(x)cos(y)", "the formula cannot be read at `sin(x)cos(y)`: write sin(x)*cos(y)"
     + NEEDS_STAR),
    ("x y", "the formula cannot be read at `x y`: write x*y" + NEEDS_STAR),
    ("xy", "unknown name 'xy': write x*y" + NEEDS_STAR),
    ("3(x+1", "the formula cannot be read: '(' was never closed at position 2"),
    ("x +", "the formula cannot be read: invalid syntax at the end"),
    ("(x", "the formula cannot be read: '(' was never closed at position 1"),
    ("x)", "the formula cannot be read: unmatched ')' at position 2"),
    ("*x", "the formula cannot be read: invalid syntax at position 1"),
    ("x $ y", "the formula cannot be read: invalid syntax at position 3"),
]  # fmt: skip


def test_the_catalogue_is_large():
    assert len(HOSTILE) >= 100


@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=[repr(t)[:40] for t, _ in HOSTILE])
def test_a_hostile_string_is_refused_with_its_own_message(text, message):
    started = time.perf_counter()
    assert _refusal(text) == message
    assert time.perf_counter() - started < 1.0  # nothing is computed, however large


def test_limits_at_the_edge_are_allowed():
    assert float(parse_formula("x**100")(1.0, 0.0)) == 1.0
    assert float(parse_formula("x**-100")(1.0, 0.0)) == 1.0
    assert float(parse_formula("(" * MAX_PARENTHESES + "x" + ")" * MAX_PARENTHESES)(2.0, 0)) == 2
    assert parse_formula("x" + " + x" * 49 + "   ").text.count("x") == 50  # 200 characters
    assert float(parse_formula("1000000000 * x")(1.0, 0.0)) == 1e9
    assert float(parse_formula("sin(" * 16 + "x" + ")" * 16)(0.0, 0.0)) == 0.0
    assert (MAX_LENGTH, MAX_PARENTHESES, MAX_DEPTH, MAX_EXPONENT) == (200, 16, 64, 100)


@pytest.mark.parametrize("value", [None, 12, b"x + y", ["x"]])
def test_only_text_is_a_formula(value):
    assert _refusal(value) == f"the formula must be text, not {type(value).__name__}"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["x", "y", "pi", "e", "sin", "log", "__class__", "os", "(", ")", "[", "]", "+",
             "-", "*", "/", "**", ".", ",", "=", ":", ";", "'", "lambda", "for", "in", "if",
             " ", "0", "1", "9", "1e9", "9**9", "_", "\\", "import", "\n"]
        ),
        max_size=40,
    )
    | st.text(max_size=60)
)  # fmt: skip
def test_random_text_gives_a_formula_or_a_formula_error(pieces):
    text = "".join(pieces)
    try:
        f = parse_formula(text)
    except FormulaError as err:
        assert str(err) and "\n" not in str(err)
        return
    value = f(0.3, 0.7)
    assert jnp.shape(value) == ()
    assert jnp.issubdtype(jnp.asarray(value).dtype, jnp.floating)


# ---------------------------------------------------------------------- no code from text
class _CodeGuard:
    """eval and exec always raise; compile only builds syntax trees (ast.parse)."""

    def __init__(self, monkeypatch):
        self.parsed = []
        real_compile = builtins.compile

        def guarded_compile(source, filename, mode, flags=0, *args, **kwargs):
            if not flags & ast.PyCF_ONLY_AST:
                raise AssertionError(f"compile() to code of {source!r}")
            self.parsed.append(source)
            return real_compile(source, filename, mode, flags, *args, **kwargs)

        def refuse(name):
            def call(*args, **kwargs):
                code = args[0] if args else None
                # Importing a module (lazily, inside JAX) executes that file's code.
                if (
                    name == "exec"
                    and isinstance(code, types.CodeType)
                    and code.co_filename.endswith(".py")
                ):
                    return real_exec(*args, **kwargs)
                raise AssertionError(f"{name}() called with {code!r}")

            return call

        real_exec = builtins.exec
        monkeypatch.setattr(builtins, "compile", guarded_compile)
        monkeypatch.setattr(builtins, "eval", refuse("eval"))
        monkeypatch.setattr(builtins, "exec", refuse("exec"))


def test_the_guard_would_catch_eval_exec_and_compile(monkeypatch):
    _CodeGuard(monkeypatch)
    for attempt in (lambda: eval("1"), lambda: exec("x = 1"), lambda: compile("1", "", "eval")):
        with pytest.raises(AssertionError):
            attempt()


def test_parsing_and_computing_never_reach_eval_exec_or_compile(monkeypatch):
    guard = _CodeGuard(monkeypatch)
    texts = [text for text, _ in HOSTILE] + [
        "2*x**2 - 4*x*y + y**4 + 2",
        "sin(x) * exp(-y)",
        "sqrt(abs(x)) + y**0.5 + pi*e",
        "x**y",
    ]
    for text in texts:
        try:
            f = parse_formula(text)
        except FormulaError:
            continue
        float(f(0.3, 0.3))
        jax.grad(f.function, argnums=(0, 1))(0.3, 0.3)
        float(jax.jit(f.function)(0.4, 0.4))
    assert guard.parsed  # ast.parse did run, through the guard
    assert all(isinstance(source, str) for source in guard.parsed)


def test_applying_in_the_box_never_reaches_eval_exec_or_compile(monkeypatch):
    box = FormulaBox("x**2 + y**2", steps=20)
    guard = _CodeGuard(monkeypatch)
    for text in ("__import__('os').system('echo hacked')", "sin(x) + y**2", "x.__class__"):
        box.formula_text.set_state({"value": text})
        box.apply_button._handle_custom_msg({"event": "click"}, [])
    assert box.formula.text == "sin(x) + y**2"
    assert box.message == "attribute access (`.__class__`) is not allowed"
    assert "sin(x) + y**2" in guard.parsed
    box.close()


def test_the_modules_use_no_eval_exec_compile_getattr_or_import_of_names():
    # The parser's own source: none of these is called anywhere in it.
    import jaxgrad_widgets.formula as formula_module

    for module in (formula_module, formula_box):
        tree = ast.parse(inspect.getsource(module))
        called = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert not called & {"eval", "exec", "compile", "getattr", "__import__", "setattr"}
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert "importlib" not in imported


# ---------------------------------------------------------------------- the FormulaBox
@pytest.fixture
def box():
    made = FormulaBox("x**2 + 3*y**2", learning_rate=0.1, steps=40)
    yield made
    made.close()


def _type(box, text):
    """What a browser sends: the Text's new value (on Enter or blur), then a click."""
    box.formula_text.set_state({"value": text})
    box.apply_button._handle_custom_msg({"event": "click"}, [])


def test_the_default_box_is_goldfield_with_its_controls():
    made = FormulaBox()
    try:
        assert made.formula_text.value == "2*x**2 - 4*x*y + y**4 + 2"
        assert made.message == "ok: f(x, y) = 2*x**2 - 4*x*y + y**4 + 2"
        assert made.error is False
        parts = (made.entry, made.status_line, made.help, made.watch, made.dashboard)
        assert made.children == parts
        assert made.formula_text.continuous_update is False  # Enter (or blur) submits
        assert "sin, sinh" in made.help.value
        assert made.dashboard.trajectory.shape == (1, 301, 2)
        assert made.dashboard.objective.names == ("x", "y")
    finally:
        made.close()


def test_a_valid_formula_replaces_the_dashboard_and_closes_the_old_one(box):
    old = box.dashboard
    assert old.trajectory[0, -1].round(2).tolist() == [0.0, 0.0]
    _type(box, "(x - 1)**2 + (y + 0.5)**2")
    assert box.message == "ok: f(x, y) = (x - 1)**2 + (y + 0.5)**2"
    assert box.error is False
    assert box.dashboard is not old and old.comm is None and old.map.figure.comm is None
    assert box.children[-1] is box.dashboard
    assert box.dashboard.trajectory.shape == (1, 41, 2)  # the box's options are kept
    assert box.dashboard.learning_rate == 0.1
    assert box.dashboard.trajectory[0, -1].round(2).tolist() == [1.0, -0.5]


def test_enter_alone_applies_and_apply_after_it_keeps_the_paths(box):
    box.formula_text.set_state({"value": "x**2 + y**2 + x*y"})  # Enter
    after_enter = box.dashboard
    assert box.formula.text == "x**2 + y**2 + x*y"
    box.apply_button._handle_custom_msg({"event": "click"}, [])
    assert box.dashboard is after_enter and after_enter.comm is not None


def test_apply_from_python_returns_whether_it_worked(box):
    box.formula_text.value = "x**2"
    assert box.apply() is True
    box.formula_text.value = "x**"
    assert box.apply() is False
    assert box.message == "the formula cannot be read: invalid syntax at the end"


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('id')", "().__class__.__bases__", "9**9**9", "x\nimport os",
     "lambda: 1", "x" * 300, "", "open('x').read()"],
)  # fmt: skip
def test_a_hostile_formula_keeps_the_previous_dashboard_working(box, text):
    old = box.dashboard
    _type(box, text)
    assert box.message == _refusal(text)
    assert box.error is True
    assert 'class="jgw-status-line jgw-error"' in box.status_line.value
    assert box.dashboard is old and old.comm is not None
    assert box.formula.text == "x**2 + 3*y**2"
    before = old.trajectory.copy()
    old.learning_rate = 0.05  # still computing
    assert not np.array_equal(old.trajectory, before)
    _type(box, "x**2 + y**2")  # and the box still takes a good formula
    assert box.error is False and box.dashboard is not old


def test_the_status_line_escapes_what_was_typed(box):
    _type(box, "x < '<script>alert(1)</script>'")
    assert box.message == "comparisons (`x < '<script>alert(1)</script>'`) are not allowed"
    assert "<script>" not in box.status_line.value
    assert "&lt;script&gt;" in box.status_line.value


def test_a_formula_undefined_at_the_start_says_so_and_keeps_its_dashboard(box):
    _type(box, "log(x - 1) + y")
    assert box.error is True
    assert box.message == (
        "f(x, y) = log(x - 1) + y is nan at the start (x=0.3, y=0.3); drag the start to "
        "where f is defined, or change the formula"
    )
    assert box.dashboard.status[0]["summary"] == "not finite at the start"
    box.dashboard.start = (2.0, 0.0)  # the student drags the start
    box.apply_button._handle_custom_msg({"event": "click"}, [])
    assert box.message == "ok: f(x, y) = log(x - 1) + y" and box.error is False


def test_an_objective_error_goes_to_the_status_line_not_into_the_comm(box, monkeypatch):
    def refuse(f, **options):
        raise ObjectiveError("f returned something odd")

    old = box.dashboard
    monkeypatch.setattr(formula_box, "GradDescentWidget", refuse)
    _type(box, "x + y")
    assert (box.message, box.error) == ("f returned something odd", True)
    assert box.dashboard is old and box.formula.text == "x**2 + 3*y**2"


def test_a_bug_goes_to_the_status_line_and_the_log(box, monkeypatch, caplog):
    def broken(f, **options):
        raise RuntimeError("boom")

    monkeypatch.setattr(formula_box, "GradDescentWidget", broken)
    _type(box, "x + y")
    assert box.message == "internal error: RuntimeError: boom"
    assert "jaxgrad_widgets callback failed" in caplog.text


def test_the_notebooks_own_mistakes_raise():
    with pytest.raises(FormulaError, match="attribute access"):
        FormulaBox("x.real")
    with pytest.raises(FormulaError, match="do not pass f="):
        FormulaBox(f=goldfield)
    with pytest.raises(ObjectiveError):
        FormulaBox("x + y", start=(1.0, 2.0, 3.0))


def test_close_closes_every_widget_the_box_made():
    made = FormulaBox("x**2 + y**2", steps=10)
    made.formula_text.value = "x**2 + 2*y**2"
    parts = [made, made.entry, made.formula_label, made.formula_text, made.apply_button,
             made.status_line, made.help, made.dashboard, made.dashboard.map.figure]  # fmt: skip
    own_looks = [made.dashboard.figure.layout, made.dashboard.loss_figure.layout]
    # Shared looks (jaxgrad_widgets.widgets.looks) serve every dashboard: they stay open.
    shared = [made.formula_text.style, made.apply_button.style, made.layout, made.entry.layout]
    made.close()
    assert all(w.comm is None for w in parts + own_looks)
    assert all(looks.is_shared(w) and w.comm is not None for w in shared)


def test_the_dashboard_can_be_made_from_a_formula_directly():
    f = parse_formula("(x - 1)**2 + y**2")
    w = GradDescentWidget(f.function, learning_rate=0.1)
    try:
        assert w.objective.names == ("x", "y")
        assert w.trajectory[0, -1].round(2).tolist() == [1.0, 0.0]
    finally:
        w.close()
    assert issubclass(FormulaBox, ipywidgets.VBox)
