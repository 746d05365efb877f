"""FormulaBox: type your own f(x, y) and descend it, also in a Voilà dashboard.

The only thing the browser sends is the text of the formula; it goes through
:func:`jaxgrad_widgets.formula.parse_formula` (a whitelist walk of the syntax tree, no
``eval``) and nowhere else. A refused formula, or one the optimizer cannot use, is
explained in the status line in red, and the dashboard of the last good formula stays.

Example:
    >>> from jaxgrad_widgets.widgets.formula_box import FormulaBox
    >>> box = FormulaBox("(x - 1)**2 + (y + 0.5)**2", learning_rate=0.1)
    >>> box.dashboard.trajectory[0, -1].round(3).tolist()
    [1.0, -0.5]
    >>> box.formula_text.value = "__import__('os')"   # what a browser may send
    >>> box.message[:38]
    "unknown function '__import__'; the fun"
    >>> box.formula.text
    '(x - 1)**2 + (y + 0.5)**2'
    >>> box.close()
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets
import numpy as np
import traitlets

from ..formula import CONSTANTS, FUNCTIONS, Formula, FormulaError, parse_formula
from .grad_descent import GradDescentWidget
from .lifecycle import close_tree, replace_earlier_runs
from .status import shown_errors, status_line_html

#: The formula a new box starts with: goldfield, two valleys and a saddle.
DEFAULT_FORMULA = "2*x**2 - 4*x*y + y**4 + 2"
#: The box's variables, in the order the dashboard's axes show them.
VARIABLES = ("x", "y")

_ALLOWED_HTML = (
    '<div class="jgw-formula-help" style="color:#666;font-size:90%">'
    f"Allowed: numbers, {', '.join(VARIABLES)}, {', '.join(CONSTANTS)}, "
    "+ &minus; * / ** and parentheses, and the functions "
    f"{html.escape(', '.join(FUNCTIONS))}.</div>"
)


class FormulaBox(ipywidgets.VBox):
    """A text box for f(x, y), an Apply button, a status line and the dashboard below.

    Enter (or leaving the box) and Apply both apply the formula. Every text the
    browser sends is parsed by :func:`~jaxgrad_widgets.formula.parse_formula` only;
    a refused formula leaves the previous dashboard working and says why.

    Args:
        formula: the first formula. It must be valid: a mistake here raises, since it
            comes from the notebook's code, not from the browser.
        **options: passed to every :class:`GradDescentWidget` the box makes
            (``learning_rate=0.05``, ``optimizer="adam"``, ``bounds=...``, ...).

    Example:
        >>> box = FormulaBox("x**2 + 3*y**2", learning_rate=0.1)
        >>> box.formula_text.value = "x**2 + y**2 + x*y"
        >>> box.message
        'ok: f(x, y) = x**2 + y**2 + x*y'
        >>> box.formula_text.value = "x.__class__"
        >>> box.message, box.formula.text
        ('attribute access (`.__class__`) is not allowed', 'x**2 + y**2 + x*y')
        >>> box.close()
    """

    #: The last message of the status line ("ok: ..." or why the formula was refused).
    message = traitlets.Unicode("")
    #: Whether the status line shows an error.
    error = traitlets.Bool(False)

    def __init__(self, formula: str = DEFAULT_FORMULA, **options: Any) -> None:
        if "f" in options:
            raise FormulaError("the box makes f from its text; do not pass f=...")
        self.options = dict(options)
        # The notebook's own formula and options: a mistake raises, before any widget exists.
        self.formula: Formula = parse_formula(formula, VARIABLES)
        self.dashboard: GradDescentWidget = GradDescentWidget(self.formula.function, **options)
        self.formula_label = ipywidgets.HTML(f"<b>f</b>({', '.join(VARIABLES)}) =")
        # continuous_update=False: the value arrives on Enter or blur, not per key stroke.
        self.formula_text = ipywidgets.Text(
            value=self.formula.text,
            continuous_update=False,
            placeholder=DEFAULT_FORMULA,
            layout=ipywidgets.Layout(flex="1 1 auto", width="auto"),
        )
        self.formula_text.add_class("jgw-formula-text")
        self.apply_button = ipywidgets.Button(
            description="apply", icon="check", tooltip="use this formula",
            button_style="primary", layout=ipywidgets.Layout(width="auto"),
        )  # fmt: skip
        self.apply_button.add_class("jgw-formula-apply")
        self.status_line = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%"))
        self.status_line.add_class("jgw-formula-status")
        self.help = ipywidgets.HTML(_ALLOWED_HTML)
        self.entry = ipywidgets.HBox(
            [self.formula_label, self.formula_text, self.apply_button],
            layout=ipywidgets.Layout(width="100%", align_items="center"),
        )
        super().__init__(
            [self.entry, self.status_line, self.help, self.dashboard],
            layout=ipywidgets.Layout(width="100%"),
        )
        self.add_class("jgw-root")
        self.add_class("jgw-formula-box")
        self._show_result()
        self.formula_text.observe(self._on_text, "value")
        self.apply_button.on_click(self._on_apply)
        replace_earlier_runs(self)

    # ------------------------------------------------------------------ browser input
    def _on_text(self, change: dict[str, Any]) -> None:
        self.apply()

    def _on_apply(self, _button: ipywidgets.Button) -> None:
        self.apply()

    def apply(self) -> bool:
        """Parse the text box's formula and show its dashboard; False if it was refused.

        Never raises: the reason a formula was refused goes to the status line.

        Example:
            >>> box = FormulaBox("x**2 + y**2")
            >>> box.formula_text.value = "import os"
            >>> box.apply(), box.message
            (False, '`import` statements are not allowed')
            >>> box.close()
        """
        return bool(shown_errors(self._show, self._apply, self.formula_text.value))

    def _apply(self, text: str) -> bool:
        formula = parse_formula(text, VARIABLES)
        if formula.text == self.formula.text:
            # Apply right after Enter (or a blur) sends the same text twice: keep the paths.
            self._show_result()
            return True
        dashboard = GradDescentWidget(formula.function, **self.options)
        old, self.dashboard, self.formula = self.dashboard, dashboard, formula
        self.children = [self.entry, self.status_line, self.help, dashboard]
        old.close()
        self._show_result()
        return True

    # ------------------------------------------------------------------ display
    @staticmethod
    def _ok_message(formula: Formula) -> str:
        return f"ok: f({', '.join(formula.variables)}) = {formula.text}"

    def _show_result(self) -> None:
        """ "ok", or, when f has no value at any start, where it is undefined."""
        losses = self.dashboard.losses
        if losses.size and not np.isfinite(losses[:, 0]).any():
            start = self.dashboard.starts[0]
            at = ", ".join(f"{n}={v:.3g}" for n, v in zip(VARIABLES, start, strict=True))
            self._show(
                f"f({', '.join(VARIABLES)}) = {self.formula.text} is {losses[0, 0]} at the "
                f"start ({at}); drag the start to where f is defined, or change the formula",
                is_error=True,
            )
        else:
            self._show(self._ok_message(self.formula), is_error=False)

    def _show(self, message: str, is_error: bool) -> None:
        self.message = message
        self.error = is_error
        self.status_line.value = status_line_html(message, is_error)

    def close(self) -> None:
        """Close the box, its controls and its dashboard.

        Example:
            >>> box = FormulaBox("x**2 + y**2")
            >>> box.close(); box.dashboard.comm is None and box.formula_text.comm is None
            True
        """
        made = vars(self)  # Widget.__del__ also closes a box whose constructor raised
        if made.get("_closed"):
            return
        self._closed = True
        if made.get("dashboard") is not None:
            self.dashboard.close()  # its own close: it also made widgets it does not show
        if "entry" not in made:
            return
        for part in (self.entry, self.status_line, self.help):
            close_tree(part)
        super().close()
        self.layout.close()
