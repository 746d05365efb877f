"""Formulas typed as text, turned into JAX functions without running any Python.

:func:`parse_formula` reads text such as ``"2*x**2 - 4*x*y + y**4 + 2"`` with Python's
:mod:`ast` module, walks the tree itself and builds a jnp function from it. Only this
whitelist gets through; everything else is rejected with a :class:`FormulaError` that
names what was refused:

- numbers (``2``, ``0.5``, ``1e-3``; at most 1e9 in size) and the constants ``pi``, ``e``;
- the declared variables (``x`` and ``y`` by default);
- ``+ - * / **`` and unary ``+ -``, with parentheses;
- calls of the functions in :data:`FUNCTIONS` (``sin``, ``cos``, ``tan``, ``arctan``/``atan``,
  ``sinh``, ``cosh``, ``tanh``, ``exp``, ``log``, ``sqrt``, ``abs``), one argument each.

Limits: 200 characters, printable ASCII on one line, parentheses nested at most 16
deep, the expression tree at most 64 deep, and a constant exponent at most 100 in
size (``10**1000``, ``9**9**9`` and ``x**500`` are refused). Parts without a variable
are checked with float64 arithmetic and must stay finite within float32's range.

Nothing the user typed is ever passed to ``eval``, ``exec``, ``compile`` (other than
``ast.parse``, which only builds the tree), ``getattr`` or an import: names are looked
up in fixed dictionaries.

Example:
    >>> import jax
    >>> f = parse_formula("2*x**2 - 4*x*y + y**4 + 2")
    >>> float(f(1.0, 1.0)), [float(g) for g in jax.grad(f, argnums=(0, 1))(0.5, 2.0)]
    (1.0, [-6.0, 30.0])
    >>> try:
    ...     parse_formula("().__class__.__bases__")
    ... except FormulaError as err:
    ...     print(err)
    attribute access (`.__bases__`) is not allowed
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .engine.errors import JaxGradError

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NUMBER",
    "MAX_PARENTHESES",
    "Formula",
    "FormulaError",
    "parse_formula",
]

#: Longest formula accepted, in characters.
MAX_LENGTH = 200
#: Deepest nesting of parentheses.
MAX_PARENTHESES = 16
#: Deepest expression tree (``-`` of ``-`` of ..., ``sin(sin(...))``, long chains).
MAX_DEPTH = 64
#: Largest size of a number typed in the formula.
MAX_NUMBER = 1e9
#: Largest size of an exponent without a variable in it.
MAX_EXPONENT = 100
#: Largest size of a part without a variable: beyond it float32 overflows.
_MAX_CONSTANT = float(np.finfo(np.float32).max)

#: The functions a formula may call: name -> (jnp function, numpy twin for constant parts).
FUNCTIONS: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "abs": (jnp.abs, np.abs),
    "arctan": (jnp.arctan, np.arctan),
    "atan": (jnp.arctan, np.arctan),
    "cos": (jnp.cos, np.cos),
    "cosh": (jnp.cosh, np.cosh),
    "exp": (jnp.exp, np.exp),
    "log": (jnp.log, np.log),
    "sin": (jnp.sin, np.sin),
    "sinh": (jnp.sinh, np.sinh),
    "sqrt": (jnp.sqrt, np.sqrt),
    "tan": (jnp.tan, np.tan),
    "tanh": (jnp.tanh, np.tanh),
}
#: Named constants a formula may use.
CONSTANTS: Mapping[str, float] = {"pi": math.pi, "e": math.e}

_BINARY: dict[type[ast.operator], tuple[Callable[[Any, Any], Any], str]] = {
    ast.Add: (jnp.add, "+"),
    ast.Sub: (jnp.subtract, "-"),
    ast.Mult: (jnp.multiply, "*"),
    ast.Div: (jnp.divide, "/"),
    ast.Pow: (jnp.power, "**"),
}
# Same operations for the constant parts, in float64 numpy (warnings silenced there).
_FOLD: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_REFUSED_OPERATORS = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_REFUSED_UNARY = {ast.Not: "not", ast.Invert: "~"}

# What each refused kind of expression is called in a message.
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "list comprehensions are not allowed",
    ast.SetComp: "set comprehensions are not allowed",
    ast.DictComp: "dict comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Compare: "comparisons ({code}) are not allowed",
    ast.BoolOp: "`and` and `or` are not allowed",
    ast.IfExp: "conditional expressions (`if ... else`) are not allowed",
    ast.NamedExpr: "assignment expressions (`:=`) are not allowed",
    ast.Starred: "starred arguments ({code}) are not allowed",
    ast.Tuple: "tuples ({code}) are not allowed; the formula must give one number",
    ast.List: "lists ({code}) are not allowed",
    ast.Set: "sets ({code}) are not allowed",
    ast.Dict: "dicts ({code}) are not allowed",
    ast.Subscript: "indexing ({code}) is not allowed",
    ast.Slice: "slices ({code}) are not allowed",
    ast.Await: "`await` is not allowed",
    ast.Yield: "`yield` is not allowed",
    ast.YieldFrom: "`yield` is not allowed",
}
_STATEMENTS: dict[type[ast.AST], str] = {
    ast.Import: "`import` statements are not allowed",
    ast.ImportFrom: "`import` statements are not allowed",
    ast.Assign: "assignments (`=`) are not allowed; type only the expression",
    ast.AugAssign: "assignments (`+=`, ...) are not allowed; type only the expression",
    ast.AnnAssign: "annotated assignments are not allowed; type only the expression",
    ast.FunctionDef: "function definitions (`def`) are not allowed",
    ast.AsyncFunctionDef: "function definitions (`def`) are not allowed",
    ast.ClassDef: "class definitions are not allowed",
}
# Other statements, by the keyword that starts them.
_KEYWORDS: dict[type[ast.AST], str] = {
    ast.Delete: "del",
    ast.Pass: "pass",
    ast.Return: "return",
    ast.Raise: "raise",
    ast.Assert: "assert",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.For: "for",
    ast.AsyncFor: "for",
    ast.While: "while",
    ast.If: "if",
    ast.With: "with",
    ast.AsyncWith: "with",
    ast.Try: "try",
    ast.Break: "break",
    ast.Continue: "continue",
}
# Copied-in typography, with what to type instead.
_CHARACTER_HINTS = {
    "−": "-",
    "–": "-",
    "×": "*",
    "·": "*",
    "÷": "/",
    "²": "**2",
    "³": "**3",
    "π": "pi",
}
# A product written without "*": a number or ")" then a name or "(" (``2x``, ``3(x+1)``,
# ``(x+1)y``), or a name, a space and a name, number or "(" (``x y``).
_IMPLICIT_PRODUCT = re.compile(
    r"(?P<left>(?<![\w.])\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\))\s*(?P<right>[A-Za-z_]\w*|\()"
    r"|(?P<name>[A-Za-z_]\w*)\s+(?P<next>[A-Za-z_]\w*|\d+(?:\.\d*)?|\()"
)


class FormulaError(JaxGradError):
    """A formula that is not allowed or cannot be read, with what was refused.

    Example:
        >>> try:
        ...     parse_formula("__import__('os')")
        ... except FormulaError as err:
        ...     print(str(err)[:38])
        unknown function '__import__'; the fun
    """


class Formula:
    """A parsed formula: callable with one argument per variable, traceable by JAX.

    Its signature names the variables, so the widgets see ``f(x, y)``. ``text`` is the
    formula as typed (trimmed), ``variables`` the declared variables and ``used``
    those the formula mentions. :attr:`function` is the same computation as a plain
    Python function.

    Example:
        >>> import inspect, jax
        >>> f = parse_formula("x**2 + 3*y")
        >>> str(inspect.signature(f)), f.text, f.used
        ('(x, y)', 'x**2 + 3*y', ('x', 'y'))
        >>> float(jax.jit(f)(2.0, 1.0)), float(jax.grad(f)(2.0, 1.0))
        (7.0, 4.0)
    """

    def __init__(
        self,
        text: str,
        variables: tuple[str, ...],
        evaluate: Callable[[Mapping[str, Any]], Any],
        used: tuple[str, ...],
    ) -> None:
        self.text = text
        self.variables = variables
        self.used = used
        self._evaluate = evaluate
        signature = inspect.Signature(
            [inspect.Parameter(v, inspect.Parameter.POSITIONAL_OR_KEYWORD) for v in variables]
        )
        # An instance attribute: inspect.signature(self) reads it, the class keeps none.
        self.__signature__ = signature
        self.__name__ = "f"
        self.__qualname__ = "f"
        self.__doc__ = f"f({', '.join(variables)}) = {text}"
        self.function = self._make_function(signature)

    def _make_function(self, signature: inspect.Signature) -> Callable[..., jax.Array]:
        call = self.__call__

        def f(*args: Any, **kwargs: Any) -> jax.Array:
            return call(*args, **kwargs)

        f.__signature__ = signature  # type: ignore[attr-defined]
        f.__qualname__ = "f"
        f.__doc__ = self.__doc__
        f.formula = self  # type: ignore[attr-defined]
        return f

    def __call__(self, *args: Any, **kwargs: Any) -> jax.Array:
        """The formula's value at the given variables (numbers or arrays)."""
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{self.__doc__}: {err}") from None
        values = {}
        for name, value in bound.arguments.items():
            array = jnp.asarray(value)
            # Whole numbers in, real numbers out: integer powers and gradients need floats.
            values[name] = array.astype(jnp.promote_types(array.dtype, jnp.float32))
        return self._evaluate(values)

    def __repr__(self) -> str:
        return f"Formula({self.text!r}, variables={self.variables!r})"


def parse_formula(text: str, variables: Sequence[str] = ("x", "y")) -> Formula:
    """Read a formula in ``variables`` and return it as a JAX-traceable :class:`Formula`.

    Args:
        text: the formula, e.g. ``"sin(x) * exp(-y**2)"``.
        variables: the names of its arguments, in order.

    Raises:
        FormulaError: in one sentence, naming what was not allowed or could not be read.

    Example:
        >>> f = parse_formula("sqrt(x) * exp(-y**2)")
        >>> float(f(4.0, 0.0)), float(f(x=9.0, y=0.0))
        (2.0, 3.0)
        >>> parse_formula("x**2", variables=("x",)).used
        ('x',)
        >>> try:
        ...     parse_formula("10**1000")
        ... except FormulaError as err:
        ...     print(err)
        the exponent in `10**1000` is 1000; exponents without a variable may be at most 100
    """
    names = _check_variables(variables)
    body = _read(text, names)
    reader = _Reader(text.strip(), names)
    evaluate = reader.build(body, depth=1)
    used = tuple(n for n in names if n in reader.used)
    return Formula(text.strip(), names, evaluate, used)


# ------------------------------------------------------------------------------ reading


def _check_variables(variables: Sequence[str]) -> tuple[str, ...]:
    """The programmer's variable names: plain, distinct, not a function or constant."""
    if isinstance(variables, str) or not isinstance(variables, Sequence):
        raise FormulaError(
            f"variables must be a sequence of names such as ('x', 'y'), not {variables!r}"
        )
    names = tuple(variables)
    if not names:
        raise FormulaError("give at least one variable, such as ('x',)")
    for name in names:
        if (
            not isinstance(name, str)
            or not name.isascii()
            or not name.isidentifier()
            or name.startswith("_")
            or name in ("True", "False", "None")
            or name in FUNCTIONS
            or name in CONSTANTS
        ):
            raise FormulaError(
                f"{name!r} cannot be a variable: use a plain name such as x, y or w1 that is "
                "not a function or a constant"
            )
    if len(set(names)) != len(names):
        raise FormulaError(f"the variables {names} name one variable twice")
    return names


def _check_characters(text: str) -> None:
    for index, char in enumerate(text):
        if char == "\n" or char == "\r":
            raise FormulaError("line breaks are not allowed; write the formula on one line")
        if " " <= char <= "~":
            continue
        if char in _CHARACTER_HINTS:
            raise FormulaError(
                f"the character {char!r} at position {index + 1} is not allowed; "
                f"type {_CHARACTER_HINTS[char]} instead"
            )
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        raise FormulaError(
            f"the character {char!r} ({name}) at position {index + 1} is not allowed; "
            "type plain ASCII letters, digits, spaces and + - * / ( ) . ,"
        )


def _check_parentheses(text: str) -> None:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_PARENTHESES:
        raise FormulaError(
            f"the parentheses are nested {deepest} deep; at most {MAX_PARENTHESES} levels "
            "are allowed"
        )


def _read(text: str, names: tuple[str, ...]) -> ast.expr:
    """Checks on the raw text, then the expression tree (not yet walked)."""
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is {len(text)} characters long; at most {MAX_LENGTH} are allowed"
        )
    _check_characters(text)
    stripped = text.strip()
    if not stripped:
        example = " + ".join(f"{n}**2" for n in names)
        raise FormulaError(f"the formula is empty; type an expression such as {example}")
    _check_parentheses(stripped)
    try:
        return _parse(stripped, "eval").body
    except SyntaxError as err:
        raise FormulaError(_syntax_message(stripped, err, names)) from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise FormulaError(f"the formula cannot be read ({type(err).__name__})") from None


def _parse(text: str, mode: str) -> Any:
    """The syntax tree only: ``ast.parse`` compiles nothing to code."""
    with warnings.catch_warnings():
        # Python warns about odd literals (`'\d'`, `1if`) while parsing; the walker
        # refuses them anyway, and a warning would land on the notebook's stderr.
        warnings.simplefilter("ignore")
        return ast.parse(text, mode=mode)


def _syntax_message(text: str, err: SyntaxError, names: Sequence[str] = ("x", "y")) -> str:
    """Name the statement when the text is one (``import os``, ``x = 1``, ``a; b``)."""
    try:
        statements = _parse(text, "exec").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        statements = None
    if statements:
        for statement in statements:
            if not isinstance(statement, ast.Expr):
                keyword = _KEYWORDS.get(type(statement), type(statement).__name__.lower())
                return _STATEMENTS.get(
                    type(statement),
                    f"`{keyword}` statements are not allowed; type a single expression",
                )
        if len(statements) > 1:
            return "semicolons are not allowed; type a single expression"
    reason = (err.msg or "invalid syntax").split(". Perhaps")[0]
    offset = err.offset or 0
    # Python points past the end (or at 0) when the formula stops too early: "x +".
    where = f" at position {offset}" if 0 < offset <= len(text) else " at the end"
    # An unclosed or unmatched parenthesis is the mistake to name, not a missing *.
    product = None if "(" in reason or ")" in reason else _implicit_product(text, names)
    if product is not None:
        typed, meant = product
        return f"the formula cannot be read at `{typed}`: write {meant} (a product needs its *)"
    return f"the formula cannot be read: {reason}{where}"


def _split_name(name: str, names: Sequence[str]) -> list[str] | None:
    """``name`` as variables and constants written together (``xy`` -> x, y), or None."""
    known = sorted((*names, *CONSTANTS), key=len, reverse=True)
    parts: list[str] = []
    rest = name
    while rest:
        for part in known:
            if rest.startswith(part):
                parts.append(part)
                rest = rest[len(part) :]
                break
        else:
            return None
    return parts


def _group_before(text: str, end: int) -> int:
    """Where the parenthesised group ending at ``text[end - 1] == ")"`` starts, with the
    name of a function called on it (``sin(x)``); ``end`` itself when unbalanced."""
    depth = 0
    for index in range(end - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[index], 0)
        if depth == 0:
            while index > 0 and (text[index - 1].isalnum() or text[index - 1] == "_"):
                index -= 1
            return index
    return end


def _group_after(text: str, start: int) -> int:
    """Where the parenthesised group starting at ``text[start] == "("`` ends (past its
    ")"), or the end of the text when it is not closed."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    return len(text)


def _implicit_product(text: str, names: Sequence[str]) -> tuple[str, str] | None:
    """(what was typed, the product with its *) for the first product typed without *.

    Example: ``2x + y`` gives ``("2x", "2*x")``, ``3xy`` gives ``("3xy", "3*x*y")`` and
    ``(x+1)sin(y)`` gives ``("(x+1)sin(y)", "(x+1)*sin(y)")``.
    """
    match = _IMPLICIT_PRODUCT.search(text)
    if match is None:
        return None
    key = ("left", "right") if match.group("left") is not None else ("name", "next")
    first, right = match.start(key[0]), match.group(key[1])
    if text[match.end(key[0]) - 1] == ")":
        first = _group_before(text, match.end(key[0]))
    left = text[first : match.end(key[0])]
    last = match.end(key[1])
    if right == "(" or (last < len(text) and text[last] == "("):
        last = _group_after(text, match.start(key[1]) if right == "(" else last)
        right = text[match.start(key[1]) : last]
    elif right not in names:
        split = _split_name(right, names)
        right = "*".join(split) if split else right
    return text[first:last], f"{left}*{right}"


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e16 else f"{value:.6g}"


def _shown(text: str, node: ast.AST) -> str:
    """The source of ``node`` for a message, in backticks and cut short."""
    code = ast.get_source_segment(text, node) or type(node).__name__
    if len(code) > 40:
        code = code[:37] + "..."
    return f"`{code}`"


class _Reader:
    """Walks the tree of one formula: refuses what is not whitelisted, builds the rest.

    ``build`` returns a function of ``{variable: array}``; for a part without a
    variable, ``constant`` holds its float64 value, used for the checks only.
    """

    def __init__(self, text: str, variables: tuple[str, ...]) -> None:
        self.text = text
        self.variables = variables
        self.used: set[str] = set()
        self.constant: dict[int, float] = {}

    def build(self, node: ast.AST, depth: int) -> Callable[[Mapping[str, Any]], Any]:
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"the formula is nested more than {MAX_DEPTH} levels deep; write it more simply"
            )
        kind = type(node)
        if kind is ast.Constant:
            return self._number(node)
        if kind is ast.Name:
            return self._name(node)
        if kind is ast.UnaryOp:
            return self._unary(node, depth)
        if kind is ast.BinOp:
            return self._binary(node, depth)
        if kind is ast.Call:
            return self._call(node, depth)
        if kind is ast.Attribute:
            raise FormulaError(f"attribute access (`.{node.attr}`) is not allowed")
        template = _REFUSED_NODES.get(kind)
        if template is not None:
            raise FormulaError(template.format(code=_shown(self.text, node)))
        raise FormulaError(f"{_shown(self.text, node)} is not allowed in a formula")

    # -------------------------------------------------------------- leaves
    def _number(self, node: ast.Constant) -> Callable[[Mapping[str, Any]], Any]:
        value = node.value
        if isinstance(value, str):
            raise FormulaError(f"text in quotes ({_shown(self.text, node)}) is not allowed")
        if isinstance(value, bytes):
            raise FormulaError(f"bytes ({_shown(self.text, node)}) are not allowed")
        if isinstance(value, complex):
            raise FormulaError(f"complex numbers ({_shown(self.text, node)}) are not allowed")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FormulaError(f"{_shown(self.text, node)} is not a number")
        # A typed integer has at most 200 digits, so comparing first is cheap and exact.
        if not (abs(value) <= MAX_NUMBER):
            raise FormulaError(
                f"the number {_shown(self.text, node)} is too large; numbers may be at most "
                f"{_number_text(MAX_NUMBER)} in size"
            )
        return self._constant(node, float(value))

    def _constant(self, node: ast.AST, value: float) -> Callable[[Mapping[str, Any]], Any]:
        self.constant[id(node)] = value
        array = np.float32(value)
        return lambda env: array

    def _name(self, node: ast.Name) -> Callable[[Mapping[str, Any]], Any]:
        name = node.id
        if name in self.variables:
            self.used.add(name)
            return lambda env: env[name]
        if name in CONSTANTS:
            return self._constant(node, CONSTANTS[name])
        if name in FUNCTIONS:
            raise FormulaError(f"{name} is a function: call it on a value, as in {name}(x)")
        parts = _split_name(name, self.variables)
        if parts is not None:
            raise FormulaError(
                f"unknown name '{name}': write {'*'.join(parts)} (a product needs its *)"
            )
        raise FormulaError(
            f"unknown name '{name}'; use {', '.join(self.variables)}, "
            f"{', '.join(CONSTANTS)} or one of the functions {', '.join(FUNCTIONS)}"
        )

    # -------------------------------------------------------------- operations
    def _unary(self, node: ast.UnaryOp, depth: int) -> Callable[[Mapping[str, Any]], Any]:
        if type(node.op) in _REFUSED_UNARY:
            raise FormulaError(
                f"the operator `{_REFUSED_UNARY[type(node.op)]}` is not allowed; use + - * / **"
            )
        operand = self.build(node.operand, depth + 1)
        negate = isinstance(node.op, ast.USub)
        if id(node.operand) in self.constant:
            value = self.constant[id(node.operand)]
            self.constant[id(node)] = -value if negate else value
        if negate:
            return lambda env: jnp.negative(operand(env))
        return operand

    def _binary(self, node: ast.BinOp, depth: int) -> Callable[[Mapping[str, Any]], Any]:
        kind = type(node.op)
        if kind not in _BINARY:
            raise FormulaError(
                f"the operator `{_REFUSED_OPERATORS.get(kind, kind.__name__)}` is not "
                "allowed; use + - * / **"
            )
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        exponent = self.constant.get(id(node.right)) if kind is ast.Pow else None
        if exponent is not None and abs(exponent) > MAX_EXPONENT:
            raise FormulaError(
                f"the exponent in {_shown(self.text, node)} is {_number_text(exponent)}; exponents "
                f"without a variable may be at most {MAX_EXPONENT}"
            )
        if id(node.left) in self.constant and id(node.right) in self.constant:
            self._fold(
                node, _FOLD[kind], self.constant[id(node.left)], self.constant[id(node.right)]
            )
        operation = _BINARY[kind][0]
        if exponent is not None and exponent == int(exponent):
            # A whole exponent becomes an integer power: exact, also for negative bases.
            power = int(exponent)
            return lambda env: jnp.power(left(env), power)
        return lambda env: operation(left(env), right(env))

    def _fold(self, node: ast.expr, operation: Callable[..., Any], *operands: Any) -> None:
        """Check a part without a variable: its float64 value must be finite, float32-sized."""
        with np.errstate(all="ignore"):
            value = float(operation(*(np.float64(v) for v in operands)))
        if not math.isfinite(value):
            raise FormulaError(f"{_shown(self.text, node)} is not a finite number ({value})")
        if abs(value) > _MAX_CONSTANT:
            raise FormulaError(
                f"{_shown(self.text, node)} is too large: it is {value:.3g}, more than "
                f"float32's largest number, {_MAX_CONSTANT:.3g}"
            )
        self.constant[id(node)] = value

    def _product_message(self, node: ast.Call) -> str:
        """For ``2(x + 1)``: the call as typed and as the product it stands for."""
        typed = ast.get_source_segment(self.text, node) or ""
        start = node.args[0].col_offset if node.args else len(typed)
        offset = node.col_offset
        opening = self.text.rfind("(", offset, start) if node.args else -1
        if opening < 0 or not typed:
            return "products need a *, as in 2*(x + 1)"
        meant = f"{self.text[offset:opening].rstrip()}*{self.text[opening : offset + len(typed)]}"
        if len(typed) > 40:
            typed, meant = typed[:37] + "...", meant[:38] + "..."
        return f"`{typed}` is not a call of a function: write {meant} (a product needs its *)"

    def _call(self, node: ast.Call, depth: int) -> Callable[[Mapping[str, Any]], Any]:
        func = node.func
        if isinstance(func, ast.Attribute):
            raise FormulaError(f"attribute access (`.{func.attr}`) is not allowed")
        if isinstance(func, ast.Constant | ast.BinOp | ast.UnaryOp | ast.Call):
            # 2(x + 1), (x + 1)(y - 1), sin(x)(y + 1): products typed without *.
            raise FormulaError(self._product_message(node))
        if not isinstance(func, ast.Name):
            raise FormulaError(
                f"only the named functions can be called and {_shown(self.text, func)} is not "
                "one; write products with *, as in 2*(x + 1)"
            )
        name = func.id
        if name not in FUNCTIONS:
            if name in self.variables or name in CONSTANTS:
                raise FormulaError(
                    f"{name} is not a function and cannot be called; write {name}*(...) "
                    "for a product"
                )
            raise FormulaError(
                f"unknown function '{name}'; the functions are {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            keyword = node.keywords[0]
            shown = f"`{keyword.arg}=`" if keyword.arg else "`**`"
            raise FormulaError(f"keyword arguments ({shown}) are not allowed")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise FormulaError(f"starred arguments ({_shown(self.text, arg)}) are not allowed")
        if len(node.args) != 1:
            raise FormulaError(
                f"{name} takes one argument, not {len(node.args)} ({_shown(self.text, node)})"
            )
        argument = self.build(node.args[0], depth + 1)
        function, twin = FUNCTIONS[name]
        if id(node.args[0]) in self.constant:
            self._fold(node, twin, self.constant[id(node.args[0])])
        return lambda env: function(argument(env))
