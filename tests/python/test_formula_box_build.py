"""The FormulaBox builds a new formula's dashboard in the background, in a kernel.

In a kernel (here: a kernel-like event loop, see kernel_loop.py), applying a formula
plans its dashboard in a worker thread (bounds, a learning rate that does not diverge,
every compiled kernel) while the previous dashboard keeps answering; the widgets are
then made on the loop. A newer formula supersedes an older build, and builds start at
most every MIN_BUILD_INTERVAL seconds. Outside a kernel everything happens at once.
"""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
from compiles import compiled_during
from kernel_loop import in_kernel_loop

from jaxgrad_widgets import FormulaBox, parse_formula
from jaxgrad_widgets.engine import ObjectiveError
from jaxgrad_widgets.widgets import formula_box

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


def _type(box, text):
    """What a browser sends: the Text's new value (on Enter or blur)."""
    box.formula_text.set_state({"value": text})


async def _until(condition, timeout=60.0):
    waited = time.monotonic()
    while not condition():
        assert time.monotonic() - waited < timeout, "timed out"
        await asyncio.sleep(0.02)


async def _until_built(box, plans):
    """Until the held plan has finished, its worker has stopped, and whatever it handed
    the loop has run: only then can a test say nothing came of it."""
    await _until(lambda: plans.done.is_set() and box._builder._thread is None)
    await asyncio.sleep(0.05)  # a delivery queued by the worker runs in this turn


class _SlowPlans:
    """plan_dashboard, held up until released: a build that takes as long as a test needs."""

    def __init__(self, monkeypatch):
        self.real = formula_box.plan_dashboard
        self.release = threading.Event()
        #: Set once a held plan has finished (or failed): what it leads to is on its way.
        self.done = threading.Event()
        self.planned: list[str] = []
        self.threads: set[str] = set()
        monkeypatch.setattr(formula_box, "plan_dashboard", self)

    def __call__(self, formula, options):
        self.threads.add(threading.current_thread().name)
        self.planned.append(formula.text)
        self.release.wait(30)
        try:
            return self.real(formula, options)
        finally:
            self.done.set()


@pytest.fixture
def box():
    made = FormulaBox("x**2 + 3*y**2", learning_rate=0.1, steps=40)
    yield made
    made.close()


def test_the_previous_dashboard_answers_while_a_new_one_builds(box, monkeypatch):
    plans = _SlowPlans(monkeypatch)
    old = box.dashboard

    async def scenario():
        _type(box, "(x - 1)**2 + (y + 0.5)**2")
        assert box.building == "(x - 1)**2 + (y + 0.5)**2"
        assert box.message == "building f(x, y) = (x - 1)**2 + (y + 0.5)**2 ..."
        assert "jgw-building" in box.status_line.value and box.error is False
        await asyncio.sleep(0.1)
        # The old dashboard is still there and still computes.
        assert box.dashboard is old and box.children[-1] is old
        before = old.trajectory.copy()
        old.learning_rate = 0.05
        assert not np.array_equal(old.trajectory, before)
        plans.release.set()
        await _until(lambda: box.dashboard is not old)
        assert box.building == "" and old.comm is None
        assert box.message == "ok: f(x, y) = (x - 1)**2 + (y + 0.5)**2"
        assert box.children[-1] is box.dashboard
        assert box.dashboard.trajectory[0, -1].round(2).tolist() == [1.0, -0.5]

    in_kernel_loop(scenario)
    assert plans.threads == {"jaxgrad-formula-build"}  # planned off the loop's thread


def test_a_newer_formula_supersedes_an_older_build(box, monkeypatch):
    plans = _SlowPlans(monkeypatch)
    made = []
    real = formula_box.GradDescentWidget

    def counted(f, **options):
        made.append(f.jaxgrad_info.formula)
        return real(f, **options)

    monkeypatch.setattr(formula_box, "GradDescentWidget", counted)
    monkeypatch.setattr(formula_box, "MIN_BUILD_INTERVAL", 0.0)

    async def scenario():
        _type(box, "x**2 + y**2 + 1")
        await _until(lambda: plans.planned == ["x**2 + y**2 + 1"])  # under way
        for text in ("x**2 + y**2 + 2", "x**2 + y**2 + 3", "(x - 2)**2 + y**2"):
            _type(box, text)
        assert box.building == "(x - 2)**2 + y**2"
        plans.release.set()
        await _until(lambda: box.formula.text == "(x - 2)**2 + y**2")
        await asyncio.sleep(0.3)
        # The first finished planning but was not shown; the two in between never began.
        assert plans.planned == ["x**2 + y**2 + 1", "(x - 2)**2 + y**2"]
        assert made == ["(x - 2)**2 + y**2"]
        assert box.message == "ok: f(x, y) = (x - 2)**2 + y**2" and box.building == ""

    in_kernel_loop(scenario)


def test_builds_start_at_most_every_interval(box, monkeypatch):
    starts = []
    real = formula_box.plan_dashboard

    def timed(formula, options):
        starts.append((time.monotonic(), formula.text))
        return real(formula, options)

    monkeypatch.setattr(formula_box, "plan_dashboard", timed)
    monkeypatch.setattr(formula_box, "MIN_BUILD_INTERVAL", 0.4)

    async def scenario():
        for k in range(12):  # a student pressing Enter as fast as the browser sends
            _type(box, f"x**2 + y**2 + {k}")
            await asyncio.sleep(0.02)
        await _until(lambda: box.formula.text == "x**2 + y**2 + 11")

    in_kernel_loop(scenario)
    gaps = np.diff([t for t, _ in starts])
    assert len(starts) <= 4 and (gaps >= 0.4 - 0.01).all(), starts
    assert starts[-1][1] == "x**2 + y**2 + 11"


def test_going_back_to_the_shown_formula_drops_the_build(box, monkeypatch):
    plans = _SlowPlans(monkeypatch)
    old = box.dashboard

    async def scenario():
        _type(box, "x**2 + y**2 + x*y")
        await _until(lambda: plans.planned)
        _type(box, "x**2 + 3*y**2")  # the one shown: nothing to build any more
        assert box.building == "" and box.message == "ok: f(x, y) = x**2 + 3*y**2"
        plans.release.set()
        await _until_built(box, plans)
        assert box.dashboard is old and old.comm is not None

    in_kernel_loop(scenario)


def test_a_build_that_fails_says_why_and_keeps_the_dashboard(box, monkeypatch):
    def refuse(formula, options):
        raise ObjectiveError("f returned something odd")

    monkeypatch.setattr(formula_box, "plan_dashboard", refuse)
    old = box.dashboard

    async def scenario():
        _type(box, "x + y")
        await _until(lambda: not box.building)
        assert (box.message, box.error) == ("f returned something odd", True)
        assert box.dashboard is old and old.comm is not None
        assert box.formula.text == "x**2 + 3*y**2"

    in_kernel_loop(scenario)


def test_closing_the_box_while_building_makes_nothing(monkeypatch):
    made = FormulaBox("x**2 + y**2", steps=20)
    plans = _SlowPlans(monkeypatch)
    made_after = []
    monkeypatch.setattr(formula_box, "GradDescentWidget", lambda f, **o: made_after.append(f))

    async def scenario():
        _type(made, "x**2 + 2*y**2")
        await _until(lambda: plans.planned[-1:] == ["x**2 + 2*y**2"])
        made.close()
        plans.release.set()
        await _until_built(made, plans)

    in_kernel_loop(scenario)
    assert made_after == []


def test_making_the_planned_dashboard_compiles_nothing():
    """All the compiling happens in the plan (the worker thread), none on the loop."""
    box = FormulaBox("x**2 + y**2")
    try:
        for text in ("sin(x)*cos(y)+0.1*(x**2+y**2)", ROSENBROCK):
            plan = formula_box.plan_dashboard(parse_formula(text), {})
            started = time.perf_counter()
            assert compiled_during(lambda p=plan: box._install(p)) == [], text
            assert time.perf_counter() - started < 0.5, text
    finally:
        box.close()


def test_a_formula_applied_again_reuses_its_compiled_kernels(box):
    _type(box, "sin(x) + y**2")
    first = box.dashboard.objective
    _type(box, "x**2 + y**2")
    _type(box, " sin(x) + y**2")
    assert box.dashboard.objective is first


# ---------------------------------------------------------------------- item 9 and words
def test_the_notebooks_rosenbrock_suggestion_descends():
    box = FormulaBox()
    try:
        _type(box, ROSENBROCK)
        w = box.dashboard
        assert box.message == (
            f"ok: f(x, y) = {ROSENBROCK}; learning rate 0.0025, as 0.01 diverges from this start"
        )
        assert w.learning_rate == 0.0025 and w.status[0]["state"] != "diverged"
        assert np.isfinite(w.trajectory).all()
        assert (np.diff(w.losses[0]) <= 1e-6).all()  # downhill all the way, no bouncing
    finally:
        box.close()


def test_a_rate_the_notebook_chose_is_kept_when_it_settles_and_lowered_when_not():
    box = FormulaBox("x**2 + y**2", learning_rate=0.1, steps=60)
    try:
        assert box.dashboard.learning_rate == 0.1
        _type(box, ROSENBROCK)
        assert box.dashboard.learning_rate < 0.1
        assert box.dashboard.status[0]["state"] != "diverged"
        assert "as 0.1 diverges from this start" in box.message
    finally:
        box.close()


def test_the_dashboard_title_is_the_formula(box):
    _type(box, "sin(x)*cos(y)+0.1*(x**2+y**2)")
    assert "= sin(x)*cos(y)+0.1*(x**2+y**2)</div>" in box.dashboard.title.value


def test_the_view_of_a_formula_is_even_about_the_origin(box):
    _type(box, "sin(x)*cos(y)+0.1*(x**2+y**2)")
    (x_low, x_high), (y_low, y_high) = box.dashboard.bounds
    assert x_low == -x_high and y_low == -y_high and x_high == y_high  # not -3 to 5.5
    # The start and the lowest valley, at (-1.31, 0), are in view.
    assert x_low < -1.31 < 0.3 < x_high and y_low < 0 < 0.3 < y_high
