"""FormulaBox: type your own f(x, y) and descend it, also in a Voilà dashboard.

The only thing the browser sends is the text of the formula; it goes through
:func:`jaxgrad_widgets.formula.parse_formula` (a whitelist walk of the syntax tree, no
``eval``) and nowhere else. A refused formula, or one the optimizer cannot use, is
explained in the status line in red, and the dashboard of the last good formula stays.

A new formula's dashboard is planned first (:func:`plan_dashboard`): its bounds, a
learning rate that does not diverge from its start, and every compiled kernel it
needs. In a kernel that work runs in a worker thread while the previous dashboard keeps
answering ("building ..." in the status line); the widgets are then made on the
kernel's event loop, where ipywidgets expects them. A newer formula supersedes an older
one still building, builds start at most every ``MIN_BUILD_INTERVAL`` seconds, and a
formula applies on Enter, on leaving the box or on Apply, never per key stroke. Outside
a kernel (a script, a test) all of it runs at once.

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

import asyncio
import contextlib
import html
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets
import numpy as np
import traitlets

from ..engine import (
    DEFAULT_TOLERANCE,
    ChunkedRun,
    check_bounds,
    descent_for,
    find_minima,
    grid_values,
    resolve_optimizer,
    stable_learning_rate,
    suggest_bounds,
)
from ..engine.curvature import critical_points
from ..engine.objective import DEFAULT_EXAMPLE_VALUE
from ..engine.shared import shared_objective
from ..formula import CONSTANTS, FUNCTIONS, Formula, FormulaError, parse_formula
from ..functions import FunctionInfo
from . import lifecycle
from .grad_descent import GradDescentWidget
from .lifecycle import close_tree, kernel_loop, replace_earlier_runs
from .looks import layout, style
from .panels.map import RESOLUTION
from .status import shown_errors, status_line_html
from .watch import KernelWatch

#: The formula a new box starts with: goldfield, two valleys and a saddle.
DEFAULT_FORMULA = "2*x**2 - 4*x*y + y**4 + 2"
#: The box's variables, in the order the dashboard's axes show them.
VARIABLES = ("x", "y")
#: Fewest seconds between the starts of two builds: formulas applied faster than this
#: wait, and of those waiting only the newest is built.
MIN_BUILD_INTERVAL = 0.5
#: Formulas a box keeps by their text: applying one again reuses its function, and so
#: its compiled kernels (see ``engine.shared``).
RECENT_FORMULAS = 8

_ALLOWED_HTML = (
    '<div class="jgw-formula-help" style="color:#666;font-size:90%">'
    f"Allowed: numbers, {', '.join(VARIABLES)}, {', '.join(CONSTANTS)}, "
    "+ &minus; * / ** and parentheses, and the functions "
    f"{html.escape(', '.join(FUNCTIONS))}.</div>"
)


@dataclass
class DashboardPlan:
    """What the dashboard of one formula is made from, found without making a widget.

    ``function`` is the formula's function carrying a
    :class:`~jaxgrad_widgets.functions.FunctionInfo` (its text as the title, its start,
    bounds and learning rate); ``options`` are the box's, with ``learning_rate`` lowered
    when the box's own diverges from the start; ``note`` says so.

    Example:
        >>> plan = plan_dashboard(parse_formula("(1 - x)**2 + 100*(y - x**2)**2"), {})
        >>> plan.function.jaxgrad_info.learning_rate, plan.note
        (0.0025, 'learning rate 0.0025, as 0.01 diverges from this start')
    """

    formula: Formula
    function: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def _settles(run: Any) -> bool:
    """No start diverges, none ends higher than it began (stable_learning_rate's test),
    and none bounces: in the second half of the run no loss rises by more than float
    noise (a rate at the edge of stability stalls, zig-zagging across a valley)."""
    loss = np.asarray(run.loss, np.float64)
    if not ((run.diverged_at < 0).all() and (loss[:, -1] <= loss[:, 0]).all()):
        return False
    late = loss[:, loss.shape[1] // 2 :]
    noise = 1e-6 * (np.abs(loss[:, :1]) + 1.0)
    return bool((np.diff(late, axis=1) <= noise).all())


#: Members of the learning-rate family compiled ahead (see plan_dashboard).
FAMILY_MEMBERS = 41

#: Most rates tried for a typed formula (each halving the last, see plan_dashboard).
RATE_TRIES = 4


def plan_dashboard(formula: Formula, options: Mapping[str, Any]) -> DashboardPlan:
    """Plan the dashboard of ``formula`` with the box's ``options``, and compile for it.

    Finds the view (:func:`~jaxgrad_widgets.engine.suggest_bounds`, unless ``bounds``
    is given) and a learning rate that does not diverge from the start (the given or
    default one if it settles, else the engine's stable-rate search), and runs once
    what the dashboard will run (its landscape, minima and first descent), so that
    making its widgets afterwards compiles and searches nothing. Makes no widget: safe
    in a thread.

    Example:
        >>> plan = plan_dashboard(parse_formula("x**2 + 3*y**2"), {"steps": 50})
        >>> info = plan.function.jaxgrad_info
        >>> info.formula, info.start, info.bounds, info.learning_rate, plan.note
        ('x**2 + 3*y**2', (0.3, 0.3), ((-2.5, 2.5), (-2.5, 2.5)), 0.01, '')
    """
    options = dict(options)
    f = formula.function
    starts = options.get("starts")
    start = options.get("start")
    default_start = (DEFAULT_EXAMPLE_VALUE,) * len(formula.variables)
    # The example the dashboard will give shared_objective, so both get one Objective.
    example = starts[0] if starts is not None else (start if start is not None else default_start)
    objective = shared_objective(f, example=example)
    points = (
        [objective.pack_example(s) for s in starts]
        if starts is not None
        else [objective.pack_example(example)]
    )
    points = np.asarray(points, np.float32)
    objective.grad(points[0])  # the dashboard times one gradient

    optimizer = options.get("optimizer", "sgd")
    spec = resolve_optimizer(optimizer)
    defaults = spec.defaults()
    chosen = options.get("learning_rate")
    try:
        steps = int(options.get("steps") or 300)
        tol = float(options.get("tol", DEFAULT_TOLERANCE))
        rate = float(chosen if chosen is not None else defaults.get("learning_rate", 0.01))
    except (TypeError, ValueError):
        steps, tol, rate = 0, 0.0, 0.0
    if not (steps > 0 and np.isfinite(rate) and rate > 0 and np.isfinite(tol)):
        # An option the dashboard refuses, in its own words: nothing to plan for.
        vars(f).pop("jaxgrad_info", None)  # nor what an earlier plan found
        return DashboardPlan(formula, f, options, "")
    hyper = {**defaults, "learning_rate": rate} if "learning_rate" in defaults else defaults
    note = ""
    if "learning_rate" in defaults:
        descent = descent_for(objective, optimizer)
        tried = rate
        for _ in range(RATE_TRIES):
            if _settles(descent.run(points, steps, hyper)):
                break
            # The engine's search: the largest of rate/2, rate/4, ... that settles.
            stable = stable_learning_rate(objective, optimizer, points, steps, hyper)
            if stable is None:
                break  # no rate helps (f is not finite at the start): keep the chosen one
            hyper["learning_rate"] = stable
        if hyper["learning_rate"] != tried:
            rate = hyper["learning_rate"]
            note = f"learning rate {rate:g}, as {tried:g} diverges from this start"
            if chosen is not None:
                options["learning_rate"] = rate

    bounds = options.get("bounds")
    if bounds is None:
        bounds = suggest_bounds(objective, points)
    else:
        bounds = check_bounds(bounds, objective.dim)
    # What the dashboard computes first, compiled here: the map and its minima...
    grid = grid_values(objective, bounds, RESOLUTION, base=points[0])
    minima = find_minima(objective, bounds, grid=grid)  # the map marks them, unsearched
    critical_points(objective, grid)  # and its saddles and maxima (their kernel compiled)
    # ... and the descent, run as the dashboard runs it (in chunks).
    job = ChunkedRun(descent_for(objective, optimizer), points, steps, hyper, tol=tol)
    job.advance(float("inf"))
    if spec.injectable and "learning_rate" in defaults:
        # ... and, in a kernel, the learning-rate family the browser is sent next (its
        # kernel is compiled per bucket of members; the first window has about 41).
        descent_for(objective, optimizer).family(
            points, steps, hyper, vary="learning_rate", values=[rate] * FAMILY_MEMBERS, tol=tol
        )

    f.jaxgrad_info = FunctionInfo(  # type: ignore[attr-defined]
        bounds=tuple(bounds),
        start=tuple(float(v) for v in np.ravel(example)),
        minima=tuple(tuple(float(v) for v in m.point) for m in minima),
        formula=formula.text,
        learning_rate=rate,
    )
    return DashboardPlan(formula, f, options, note)


class _Builder:
    """Plans dashboards in one worker thread, the newest request first, and hands each
    plan to the kernel's event loop. A request supersedes the one before it (whose
    plan, if already under way, is dropped when it arrives)."""

    def __init__(self, deliver: Callable[[int, DashboardPlan | None, BaseException | None],
                                          None]) -> None:  # fmt: skip
        self._deliver = deliver
        self._lock = threading.Lock()
        self._wanted: tuple[int, Formula, Mapping[str, Any], asyncio.AbstractEventLoop] | None
        self._wanted = None
        self._thread: threading.Thread | None = None
        self._last_start = -float("inf")
        self.generation = 0

    def request(
        self, formula: Formula, options: Mapping[str, Any], loop: asyncio.AbstractEventLoop
    ) -> int:
        with self._lock:
            self.generation += 1
            self._wanted = (self.generation, formula, options, loop)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="jaxgrad-formula-build", daemon=True
                )
                self._thread.start()
            return self.generation

    def cancel(self) -> None:
        """Drop the waiting request and the result of the one under way."""
        with self._lock:
            self.generation += 1
            self._wanted = None

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._wanted is None:
                    self._thread = None
                    return
                wait = MIN_BUILD_INTERVAL - (time.monotonic() - self._last_start)
                if wait <= 0:
                    generation, formula, options, loop = self._wanted
                    self._wanted = None
                    self._last_start = time.monotonic()
            if wait > 0:
                time.sleep(wait)  # a newer request may replace the waiting one meanwhile
                continue
            plan, error = None, None
            try:
                # Looked up at each call, so a test can slow it down.
                plan = globals()["plan_dashboard"](formula, options)
            except BaseException as err:  # delivered to the loop, shown there
                error = err
            if generation == self.generation and not loop.is_closed():
                # A loop closed meanwhile raises RuntimeError: there is nobody to tell.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._deliver, generation, plan, error)


class FormulaBox(ipywidgets.VBox):
    """A text box for f(x, y), an Apply button, a status line and the dashboard below.

    Enter (or leaving the box) and Apply both apply the formula. Every text the
    browser sends is parsed by :func:`~jaxgrad_widgets.formula.parse_formula` only;
    a refused formula leaves the previous dashboard working and says why. A formula's
    dashboard gets its text as title, a view framed around its start and its minima,
    and a learning rate that does not diverge from its start.

    In a kernel, a new dashboard is built in the background (see the module's
    docstring): the status line says "building ...", and the previous dashboard keeps
    working until the new one replaces it.

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
    #: The text of the formula whose dashboard is being built, or "" when none is.
    building = traitlets.Unicode("")

    def __init__(self, formula: str = DEFAULT_FORMULA, **options: Any) -> None:
        if "f" in options:
            raise FormulaError("the box makes f from its text; do not pass f=...")
        self.options = dict(options)
        self._recent: OrderedDict[str, Formula] = OrderedDict()
        self._builder = _Builder(self._deliver)
        self._note = ""
        # The notebook's own formula and options: a mistake raises, before any widget exists.
        first = parse_formula(formula, VARIABLES)
        plan = plan_dashboard(first, self.options)
        self.formula: Formula = first
        self.dashboard: GradDescentWidget = GradDescentWidget(plan.function, **plan.options)
        self._remember(first)
        self._note = plan.note
        look = style(ipywidgets.HTML)
        self.formula_label = ipywidgets.HTML(f"<b>f</b>({', '.join(VARIABLES)}) =",
                                             layout=layout(), style=look)  # fmt: skip
        # continuous_update=False: the value arrives on Enter or blur, not per key stroke.
        self.formula_text = ipywidgets.Text(
            value=self.formula.text,
            continuous_update=False,
            placeholder=DEFAULT_FORMULA,
            layout=layout(flex="1 1 auto", width="auto"),
            style=style(ipywidgets.Text),
        )
        self.formula_text.add_class("jgw-formula-text")
        self.apply_button = ipywidgets.Button(
            description="apply", icon="check", tooltip="use this formula",
            button_style="primary", layout=layout(width="auto"), style=style(ipywidgets.Button),
        )  # fmt: skip
        self.apply_button.add_class("jgw-formula-apply")
        self.status_line = ipywidgets.HTML(layout=layout(width="100%"), style=look)
        self.status_line.add_class("jgw-formula-status")
        self.help = ipywidgets.HTML(_ALLOWED_HTML, layout=layout(), style=look)
        # Says so should the kernel stop, before there is a dashboard too (invisible).
        self.watch = KernelWatch(layout=layout())
        self.entry = ipywidgets.HBox(
            [self.formula_label, self.formula_text, self.apply_button],
            layout=layout(width="100%", align_items="center"),
        )
        super().__init__(
            [self.entry, self.status_line, self.help, self.watch, self.dashboard],
            layout=layout(width="100%"),
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

        Never raises: the reason a formula was refused goes to the status line. In a
        kernel, True means the formula was read and its dashboard is being built; a
        problem found while building it (an objective JAX cannot use) is shown then.

        Example:
            >>> box = FormulaBox("x**2 + y**2")
            >>> box.formula_text.value = "import os"
            >>> box.apply(), box.message
            (False, '`import` statements are not allowed')
            >>> box.close()
        """
        return bool(shown_errors(self._show, self._apply, self.formula_text.value))

    def _parse(self, text: str) -> Formula:
        """The formula of ``text``: the one shown recently with that text, or a new one."""
        key = text.strip()
        formula = self._recent.get(key)
        return formula if formula is not None else parse_formula(text, VARIABLES)

    def _remember(self, formula: Formula) -> None:
        self._recent[formula.text] = formula
        self._recent.move_to_end(formula.text)
        while len(self._recent) > RECENT_FORMULAS:
            self._recent.popitem(last=False)

    def _apply(self, text: str) -> bool:
        formula = self._parse(text)
        if formula.text == self.formula.text:
            # Apply right after Enter (or a blur) sends the same text twice: keep the paths;
            # and going back to the shown formula drops one still building.
            if self.building:
                self._builder.cancel()
                self.building = ""
            self._show_result()
            return True
        if formula.text == self.building:
            return True  # already on its way
        loop = kernel_loop()
        if loop is None:
            self._install(plan_dashboard(formula, self.options))
            return True
        self.building = formula.text
        self._show(f"building f({', '.join(VARIABLES)}) = {formula.text} ...", is_error=False,
                   state="jgw-building")  # fmt: skip
        self._builder.request(formula, dict(self.options), loop)
        return True

    def _deliver(
        self, generation: int, plan: DashboardPlan | None, error: BaseException | None
    ) -> None:
        """On the kernel's loop: a plan has arrived; make its dashboard if still wanted."""
        if generation != self._builder.generation or vars(self).get("_closed"):
            return
        self.building = ""

        def install() -> None:
            if error is not None:
                raise error
            assert plan is not None
            self._install(plan)

        shown_errors(self._show, install)

    def _install(self, plan: DashboardPlan) -> None:
        """Make the planned dashboard and put it in place of the shown one."""
        with _made_by_the_box():
            dashboard = GradDescentWidget(plan.function, **plan.options)
        old, self.dashboard, self.formula = self.dashboard, dashboard, plan.formula
        self._note = plan.note
        self._remember(plan.formula)
        self.children = [self.entry, self.status_line, self.help, self.watch, dashboard]
        old.close()
        self._show_result()

    # ------------------------------------------------------------------ display
    def _ok_message(self, formula: Formula) -> str:
        note = f"; {self._note}" if self._note else ""
        return f"ok: f({', '.join(formula.variables)}) = {formula.text}{note}"

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

    def _show(self, message: str, is_error: bool, state: str = "") -> None:
        self.message = message
        self.error = is_error
        self.status_line.value = status_line_html(message, is_error, state)

    def close(self) -> None:
        """Close the box, its controls and its dashboard (and drop a build under way).

        Example:
            >>> box = FormulaBox("x**2 + y**2")
            >>> box.close(); box.dashboard.comm is None and box.formula_text.comm is None
            True
        """
        made = vars(self)  # Widget.__del__ also closes a box whose constructor raised
        if made.get("_closed"):
            return
        self._closed = True
        if made.get("_builder") is not None:
            self._builder.cancel()
        if made.get("dashboard") is not None:
            self.dashboard.close()  # its own close: it also made widgets it does not show
        if "entry" not in made:
            return
        for part in (self.entry, self.status_line, self.help, self.watch):
            close_tree(part)
        super().close()
        close_tree(self.layout)  # closes it unless it is a shared look


@contextlib.contextmanager
def _made_by_the_box() -> Iterator[None]:
    """A dashboard the box makes belongs to the box, not to the cell that ran last.

    Made from a callback, it would otherwise be registered with whatever cell the kernel
    ran last (``lifecycle.replace_earlier_runs``), and closed when that cell runs again.
    The box itself is registered with its own cell, and closes its dashboard when closed.
    """
    previous = lifecycle.REPLACE_ON_RERUN
    lifecycle.REPLACE_ON_RERUN = False
    try:
        yield
    finally:
        lifecycle.REPLACE_ON_RERUN = previous
