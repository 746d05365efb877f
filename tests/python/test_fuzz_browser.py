"""Fuzzing what a browser can send, through the entry points the comm uses.

A comm "update" message reaches a widget as ``widget.set_state(state)`` (ipywidgets'
``_handle_msg``); bqplot's binary arrays arrive in the same state dict, either as JSON
lists or as ``{"value": buffer, "dtype": ..., "shape": [...]}``, and go through the
mark's ``from_json``. A custom message (a bqplot drag, a button click) arrives as
``widget._handle_custom_msg(content, buffers)``. Hypothesis sends sequences of these,
valid and invalid, and after every message checks:

- nothing escapes but ipywidgets' own refusal of a value its trait type cannot hold
  (a ``TraitError`` raised outside this package, which leaves the state unchanged;
  the kernel logs it), and nothing is logged as an exception;
- the widget's traits are valid (learning rate and hyperparameters inside the
  registry's ranges, steps in the slider's range, 1 to ``max_starts`` finite starts
  inside the map, the frame inside the Player's frames) and ``w.message`` is never
  an internal error;
- work is bounded: every engine call (``Descent.run``/``Descent.finals``, counted
  here) covers at most ``max_starts`` x the slider's maximum steps, and one message
  causes at most two recomputes' worth of calls;
- at the end, after a last valid learning-rate message, the widget holds that rate
  and its trajectory is what the engine computes from the widget's inputs.

Left out of the generated inputs, and checked directly in test_bad_inputs.py: a NaN or
infinite Player ``speed`` (JSON cannot carry it from a browser) and a browser-sent
``n_frames`` (the Player's front end never sends it).
Marker arrays use only the forms bqplot's ``array_from_json`` accepts (a list of
numbers or strings, or a binary buffer); ``null`` inside a list and non-list JSON
(``false``, ``"x"``) make bqplot itself raise (in ``array_from_json`` or
``array_to_json``) before this package sees anything.

Widgets are built once per test function and reset between examples (building one
costs 0.1-1 s); hypothesis's function-scoped-fixture health check is avoided by
keeping them in a module-level cache instead of a pytest fixture.
"""

from __future__ import annotations

import contextlib
import logging
import math
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import numpy as np
import pytest
import traitlets
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jaxgrad_widgets import DerivativeWidget, GradDescentWidget, Player, SurfaceView
from jaxgrad_widgets.engine import Descent, trajectories
from jaxgrad_widgets.engine.optimizers import OPTIMIZERS
from jaxgrad_widgets.functions import goldfield, polynomial
from jaxgrad_widgets.widgets.controls import STEPS_RANGE
from jaxgrad_widgets.widgets.player import SPEED_RANGE
from jaxgrad_widgets.widgets.surface import ELEVATION_RANGE, ZOOM_RANGE

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Every hyperparameter the registry knows, by name (all optimizers share the ranges).
KNOWN = {h.name: h for spec in OPTIMIZERS.values() for h in spec.hyperparameters}
LEARNING_RATE = OPTIMIZERS["sgd"].hyperparameter("learning_rate")
#: One message may recompute twice (e.g. x and y of a marker); each recompute is one
#: run plus at most 12 halvings of the learning rate when a start diverges.
MAX_CALLS_PER_MESSAGE = 2 * 13


# ---------------------------------------------------------------------- the widgets
_CACHE: dict[str, Any] = {}


def _cached(name: str, build: Callable[[], Any]) -> Any:
    if name not in _CACHE:
        _CACHE[name] = build()
    return _CACHE[name]


def _gold_widget() -> GradDescentWidget:
    return _cached(
        "gold",
        lambda: GradDescentWidget(
            goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], learning_rate=0.05, steps=50, max_starts=4
        ),
    )


def _markers_widget() -> GradDescentWidget:
    return _cached("markers", lambda: GradDescentWidget(goldfield, steps=40))


def _curve_widget() -> GradDescentWidget:
    return _cached("curve", lambda: GradDescentWidget(polynomial, steps=40, max_starts=3))


def _derivative_widget() -> DerivativeWidget:
    return _cached("derivative", lambda: DerivativeWidget(polynomial, order=2))


def _reset(w: GradDescentWidget, starts: Any) -> None:
    """Back to a known state through the public API (Python-side assignments)."""
    w.player.pause()
    w.optimizer = "sgd"
    w.lock = {}
    w.hyperparameters = {}
    w.learning_rate = 0.05
    w.steps = 40
    w.starts = starts
    w.log_loss = False
    if not w.one_dimensional:
        w.view = "map"
    w.player.speed = 60.0
    w.player.frame = w.player.n_frames - 1
    _restore_ranges(w)


def _restore_ranges(w: GradDescentWidget) -> None:
    """A hostile client may have moved the sliders' ranges; Python's ranges come back."""
    ranges = {name: (KNOWN[name].low, KNOWN[name].high) for name in w.controls.sliders}
    ranges = {
        name: (math.log10(low), math.log10(high)) if KNOWN[name].log else (low, high)
        for name, (low, high) in ranges.items()
    }
    for name, slider in [*w.controls.sliders.items(), ("steps", w.controls.steps)]:
        low, high = STEPS_RANGE if name == "steps" else ranges[name]
        with slider.hold_trait_notifications():
            slider.min, slider.max = low, high


# ---------------------------------------------------------------------- the harness
class _Logged(logging.Handler):
    """Collects every log record that carries an exception, or comes from this package."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.name.startswith("jaxgrad_widgets"):
            self.records.append(record)


@contextlib.contextmanager
def _watch() -> Iterator[tuple[list[tuple[int, int]], _Logged]]:
    """Count the engine's work (starts x steps per call) and catch logged exceptions."""
    calls: list[tuple[int, int]] = []
    run, finals = Descent.run, Descent.finals

    def _size(starts: Any) -> int:
        shape = np.shape(starts)
        return int(shape[0]) if len(shape) == 2 else 1

    def counted_run(self, starts, steps, *args, **kwargs):
        calls.append((_size(starts), int(steps)))
        return run(self, starts, steps, *args, **kwargs)

    def counted_finals(self, starts, steps, *args, **kwargs):
        calls.append((_size(starts), int(steps)))
        return finals(self, starts, steps, *args, **kwargs)

    handler = _Logged()
    loggers = [logging.getLogger(), logging.getLogger("traitlets")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with (
            mock.patch.object(Descent, "run", counted_run),
            mock.patch.object(Descent, "finals", counted_finals),
        ):
            yield calls, handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    return a == b or (a != a and b != b)  # NaN == NaN here


def _snapshot(widget: Any, names: Any) -> dict[str, Any]:
    keys = set(getattr(widget, "keys", []))
    values = {}
    for name in names:
        if name in keys:
            value = getattr(widget, name)
            values[name] = value.copy() if isinstance(value, np.ndarray | dict | list) else value
    return values


def _from_our_code(err: BaseException) -> bool:
    return any(
        "jaxgrad_widgets" in frame.filename for frame in traceback.extract_tb(err.__traceback__)
    )


def _send_state(widget: Any, state: dict[str, Any]) -> None:
    """Deliver ``state`` as a comm update does; only ipywidgets' type refusal may escape."""
    before = _snapshot(widget, state)
    try:
        widget.set_state(state)
    except traitlets.TraitError as err:
        assert not _from_our_code(err), f"our code raised on {state!r}: {err}"
        after = _snapshot(widget, state)
        changed = [name for name in before if not _same(before[name], after[name])]
        assert not changed, f"a refused message {state!r} still changed {changed}"
        event(f"{type(widget).__name__} update: refused by its trait types")
    else:
        event(f"{type(widget).__name__} update: accepted")


def _send_custom(widget: Any, content: dict[str, Any]) -> None:
    """Deliver a custom message (drag, click) as the comm does; nothing may escape."""
    widget._handle_custom_msg(content, [])


def _check_logs(handler: _Logged) -> None:
    messages = [record.getMessage()[:300] for record in handler.records]
    assert not messages, f"logged: {messages}"


def _messages(op: tuple[str, Any]) -> int:
    """How many comm messages an op is: a gesture is its drags, a state update and its end."""
    return len(op[1][1]) + 2 if op[0] == "gesture" else 1


def _check_work(calls: list[tuple[int, int]], max_starts: int, since: int, messages: int) -> None:
    cap = max_starts * STEPS_RANGE[1]
    for starts, steps in calls[since:]:
        assert starts * steps <= cap, f"{starts} starts x {steps} steps exceeds {cap}"
    limit = MAX_CALLS_PER_MESSAGE * messages
    assert len(calls) - since <= limit, f"{len(calls) - since} engine calls in {messages} messages"


def _check_grad_widget(w: GradDescentWidget) -> None:
    """The invariants of a GradDescentWidget after any browser message."""
    assert w.optimizer in OPTIMIZERS
    assert math.isfinite(w.learning_rate)
    assert LEARNING_RATE.low <= w.learning_rate <= LEARNING_RATE.high
    for name, value in w.hyperparameters.items():
        assert KNOWN[name].low <= value <= KNOWN[name].high, (name, value)
    assert STEPS_RANGE[0] <= w.steps <= STEPS_RANGE[1]
    starts = np.asarray(w.starts)
    assert starts.ndim == 2 and starts.shape[1] == w.objective.dim
    assert 1 <= len(starts) <= w.max_starts
    assert np.isfinite(starts).all()
    dims = (0,) if w.one_dimensional else w.map_dims
    for side, dim in enumerate(dims):
        low, high = w.bounds[side]
        assert ((low <= starts[:, dim]) & (starts[:, dim] <= high)).all(), (starts, w.bounds)
    if w.lock:
        ((name, value),) = w.lock.items()
        side = [w.objective.names[d] for d in dims].index(name)
        assert w.bounds[side][0] <= value <= w.bounds[side][1]
    player = w.player
    assert player.n_frames == w.steps + 1
    assert 0 <= player.frame <= player.n_frames - 1
    assert w.frame == player.frame
    assert SPEED_RANGE[0] <= player.speed <= SPEED_RANGE[1]
    assert w.trajectory.shape == (len(starts), w.steps + 1, w.objective.dim)
    assert not w.message.startswith("internal error"), w.message


def _effective_starts(w: GradDescentWidget) -> tuple[np.ndarray, np.ndarray | None]:
    starts = np.array(w.starts, np.float32)
    if not w.lock:
        return starts, None
    ((name, value),) = w.lock.items()
    index = w.objective.names.index(name)
    starts[:, index] = value
    mask = np.ones(w.objective.dim, np.float32)
    mask[index] = 0.0
    return starts, mask


def _finish_with_a_valid_learning_rate(w: GradDescentWidget, exponent: int) -> None:
    """The browser echoes Python's last push, then the user picks a grid value.

    Slider ranges a hostile message moved are restored first: this is a legitimate
    client's last word.
    """
    _restore_ranges(w)
    slider = w.controls.sliders["learning_rate"]
    if slider.value > 0 and math.isfinite(slider.value):  # the snapped echo of a push
        _send_state(slider, {"value": 10 ** round(math.log10(slider.value), 2)})
    rate = 10 ** (exponent / 100)
    if rate == slider.value:  # already shown: a browser sends nothing, so move one more step
        rate = 10 ** ((exponent + 1) / 100)
    _send_state(slider, {"value": rate})
    assert w.learning_rate == rate
    spec = OPTIMIZERS[w.optimizer]
    hyper = {
        h.name: rate if h.name == "learning_rate" else w.hyperparameters[h.name]
        for h in spec.hyperparameters
    }
    starts, mask = _effective_starts(w)
    expected = trajectories(
        w.objective, w.optimizer, starts, w.steps, hyper, tol=w.tolerance, mask=mask
    )
    np.testing.assert_array_equal(w.trajectory, expected.params)
    np.testing.assert_array_equal(w.losses, expected.loss)
    _check_grad_widget(w)


# ---------------------------------------------------------------------- strategies
JUNK = st.one_of(
    st.none(),
    st.text(max_size=4),
    st.booleans(),
    st.lists(st.integers(-3, 3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
#: Numbers (and junk) that float() turns into a float or refuses with ValueError/TypeError.
FLOATABLE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-6, max_value=20.0),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, "0.5", "1e-3", "nan", "-inf", "1e999"]),
    JUNK,
)
#: Plus an integer beyond float range (JSON text can carry one; float() overflows).
NUMBERS = st.one_of(FLOATABLE, st.just(10**400))
GRID_EXPONENT = st.integers(-400, 60)  # learning rates 1e-4 .. ~4 on the slider's grid
INDEXES = st.one_of(st.integers(-3, 9), st.none(), st.text(max_size=2), st.booleans())
POINT = st.one_of(
    st.fixed_dictionaries({}, optional={"x": NUMBERS, "y": NUMBERS}),
    JUNK,
)
DRAG = st.fixed_dictionaries(
    {},
    optional={
        "event": st.sampled_from(["drag", "drag_start", "drag_end", "click", "hover", ""]),
        "index": st.one_of(st.integers(-3, 20), NUMBERS),
        "point": POINT,
    },
)


def _range_state(limit: float) -> st.SearchStrategy:
    """A slider state with its range: what only a hostile client would send.

    ``limit`` bounds min and max: a FloatLogSlider computes ``10 ** max`` itself, which
    overflows (in ipywidgets) beyond about 308.
    """
    return st.fixed_dictionaries(
        {"value": st.one_of(st.floats(-1e7, 1e7), st.integers(-(10**7), 10**7))},
        optional={"min": st.floats(-limit, limit), "max": st.floats(-limit, limit)},
    )


#: A well-formed drag of one of the first starts, somewhere around the map.
GOOD_DRAG = st.fixed_dictionaries(
    {
        "event": st.just("drag"),
        "index": st.integers(0, 3),
        "point": st.fixed_dictionaries({"x": st.floats(-3, 3), "y": st.floats(-3, 3)}),
    }
)
#: A whole drag as a browser sends it: the start's index and the points it passes.
GESTURE = st.tuples(
    st.integers(0, 15),
    st.lists(
        st.fixed_dictionaries({"x": st.floats(-5, 5), "y": st.floats(-5, 5)}),
        min_size=1,
        max_size=4,
    ),
)
#: A drag of the derivative widget's marker: only x matters (missing, junk or beyond
#: float range included).
X_DRAG = st.fixed_dictionaries(
    {},
    optional={
        "event": st.sampled_from(["drag", "drag_end", "drag_start", "hover", ""]),
        "index": st.one_of(st.integers(-3, 3), NUMBERS),
        "point": st.one_of(
            st.fixed_dictionaries({}, optional={"x": NUMBERS, "y": NUMBERS}),
            st.none(),
            st.floats(),
            st.text(max_size=2),
        ),
    },
)
CAMERA = st.fixed_dictionaries(
    {},
    optional={"elevation": NUMBERS, "azimuth": NUMBERS, "zoom": NUMBERS, "evil": NUMBERS},
)
SURFACE_STATE = st.fixed_dictionaries(
    {}, optional={"frame": NUMBERS, "camera": st.one_of(JUNK, CAMERA)}
)
PLAYER_STATE = st.fixed_dictionaries(
    {},
    optional={
        "frame": st.one_of(st.integers(-(10**30), 10**30), st.integers(-5, 400), NUMBERS),
        "playing": st.one_of(st.booleans(), JUNK),
        "speed": st.one_of(st.floats(-1e12, 1e12), st.integers(-5, 5000), JUNK),
        "loop": st.one_of(st.booleans(), JUNK),
    },
)


@st.composite
def marker_arrays(draw) -> dict[str, Any]:
    """x/y as a browser (or a broken one) may send them: JSON lists or binary buffers."""

    def one() -> Any:
        size = draw(st.sampled_from(["small", "small", "small", "big"]))
        if size == "big":
            rng = np.random.default_rng(draw(st.integers(0, 2**16)))
            values = rng.uniform(-1e6, 1e6, 10_000)
            values[rng.integers(0, 10_000, 50)] = draw(st.sampled_from([np.nan, np.inf, 1e300]))
        else:
            element = st.one_of(
                st.floats(-3.0, 3.0),
                st.floats(allow_nan=True, allow_infinity=True),
                st.integers(-(10**12), 10**12),
            )
            values = draw(st.lists(element, max_size=7))
        form = draw(st.sampled_from(["list", "list", "float32", "float64", "column"]))
        if form == "list":
            # Strings, not null: bqplot cannot serialise back an object array it
            # deserialised from [null] (a ValueError inside bqplot, before any of ours).
            extra = draw(st.lists(st.text(max_size=2), max_size=1))
            return [float(v) for v in values] + extra
        with np.errstate(over="ignore"):
            array = np.asarray(values, dtype="float32" if form == "float32" else "float64")
        shape = [len(array), 1] if form == "column" else [len(array)]
        return {"value": memoryview(array.tobytes()), "dtype": str(array.dtype), "shape": shape}

    keys = draw(st.sampled_from([("x", "y"), ("x", "y"), ("x",), ("y",)]))
    return {key: one() for key in keys}


def _grad_ops(w: GradDescentWidget) -> st.SearchStrategy:
    """Messages a GradDescentWidget's browser side can send, tagged by where they go."""
    ops = [
        st.tuples(st.just("learning_rate"), NUMBERS),
        st.tuples(st.sampled_from(["momentum", "b1", "b2", "decay"]), NUMBERS),
        st.tuples(st.just("steps"), st.one_of(NUMBERS, st.integers(-10, 6000))),
        st.tuples(st.just("optimizer"), INDEXES),
        st.tuples(st.just("markers"), marker_arrays()),
        st.tuples(st.just("drag"), DRAG),
        st.tuples(st.just("gesture"), GESTURE),
        st.tuples(st.just("player"), PLAYER_STATE),
        st.tuples(st.just("log"), st.one_of(st.booleans(), JUNK)),
        st.tuples(st.sampled_from(["remove", "clear"]), st.just({"event": "click"})),
        # A hostile client: a slider's own range moved along with its value.
        st.tuples(st.sampled_from(["range:learning_rate", "range:momentum"]), _range_state(30)),
        st.tuples(st.just("range:steps"), _range_state(1e7)),
    ]
    if not w.one_dimensional:
        ops += [
            st.tuples(st.just("lock_axis"), INDEXES),
            st.tuples(st.just("lock_value"), st.one_of(NUMBERS, st.floats(-3.0, 3.0))),
            st.tuples(st.just("range:lock_value"), _range_state(1e7)),
            st.tuples(st.just("view"), INDEXES),
        ]
    return st.one_of(*ops)


def _gesture(w: GradDescentWidget, index: int, points: list[dict[str, float]]) -> None:
    """A drag from start to end, as bqplot's front end sends it.

    "drag" messages while moving (the browser moves its marker itself); at the end
    the mark's whole x (and y, unless restricted to x) arrays as a state update,
    then a "drag_end" message (bqplot's ``drag_ended``: ``update_array``, ``touch``,
    ``send``). The arrays are the accepted starts with the dragged one moved.
    """
    mark = w.map.starts
    index = min(index, len(w.starts) - 1)
    for point in points:
        _send_custom(mark, {"event": "drag", "point": point, "index": index})
    dims = (0,) if w.one_dimensional else w.map_dims
    state = {"x": [float(v) for v in w.starts[:, dims[0]]]}
    state["x"][index] = points[-1]["x"]
    if not w.one_dimensional:
        state["y"] = [float(v) for v in w.starts[:, dims[1]]]
        state["y"][index] = points[-1]["y"]
    _send_state(mark, state)
    _send_custom(mark, {"event": "drag_end", "point": points[-1], "index": index})


def _check_markers(w: GradDescentWidget) -> None:
    """Python's copy of the start markers is what was accepted (on the curve in 1-D)."""
    if w.one_dimensional:
        np.testing.assert_allclose(w.map.starts.x, w.starts[:, 0])
        values = [float(w.objective.value(s)) for s in w.starts]
        np.testing.assert_allclose(w.map.starts.y, values, rtol=1e-6)
    else:
        dx, dy = w.map_dims
        np.testing.assert_allclose(w.map.starts.x, w.starts[:, dx])
        np.testing.assert_allclose(w.map.starts.y, w.starts[:, dy])


def _apply(w: GradDescentWidget, op: tuple[str, Any]) -> None:
    kind, payload = op
    controls = w.controls
    if kind.startswith("range:"):
        name = kind.split(":", 1)[1]
        sliders = {**controls.sliders, "steps": controls.steps}
        _send_state(w.lock_value if name == "lock_value" else sliders[name], payload)
    elif kind in controls.sliders:
        _send_state(controls.sliders[kind], {"value": payload})
    elif kind == "steps":
        _send_state(controls.steps, {"value": payload})
    elif kind == "optimizer":
        _send_state(controls.optimizer, {"index": payload})
    elif kind == "markers":
        _send_state(w.map.starts, payload)
    elif kind == "drag":
        _send_custom(w.map.starts, payload)
    elif kind == "gesture":
        _gesture(w, *payload)
    elif kind == "player":
        _send_state(w.player, payload)
    elif kind == "log":
        _send_state(w.log_toggle, {"value": payload})
    elif kind == "remove":
        _send_custom(w.remove_button, payload)
    elif kind == "clear":
        _send_custom(w.clear_button, payload)
    elif kind == "lock_axis":
        _send_state(w.lock_axis, {"index": payload})
    elif kind == "lock_value":
        _send_state(w.lock_value, {"value": payload})
    elif kind == "view":
        _send_state(w.view_buttons, {"index": payload})
    else:  # pragma: no cover - a strategy/dispatch mismatch
        raise AssertionError(kind)


def _run_sequence(w: GradDescentWidget, ops: list[tuple[str, Any]], exponent: int) -> None:
    with _watch() as (calls, logged):
        for op in ops:
            since = len(calls)
            _apply(w, op)
            _check_logs(logged)
            _check_work(calls, w.max_starts, since, _messages(op))
            _check_grad_widget(w)
        _finish_with_a_valid_learning_rate(w, exponent)
        _check_logs(logged)


# ---------------------------------------------------------------------- the tests
@settings(FUZZ, max_examples=400)
@given(data=st.data(), exponent=GRID_EXPONENT)
def test_fuzz_controls_of_the_map_widget(data, exponent):
    """Rapid interleavings of every control, marker, drag and Player message (2-D)."""
    w = _gold_widget()
    _reset(w, [(0.1, 0.1), (-0.1, -0.1)])
    ops = data.draw(st.lists(_grad_ops(w), min_size=1, max_size=8), label="messages")
    _run_sequence(w, ops, exponent)


@settings(FUZZ, max_examples=250)
@given(
    messages=st.lists(
        st.one_of(
            st.tuples(st.just("markers"), marker_arrays()),
            st.tuples(st.just("drag"), DRAG),
            st.tuples(st.just("drag"), GOOD_DRAG),
            st.tuples(st.just("gesture"), GESTURE),
        ),
        min_size=1,
        max_size=6,
    ),
    last=GESTURE,
    exponent=GRID_EXPONENT,
)
def test_fuzz_start_markers_and_drags(messages, last, exponent):
    """Clicks, drags and marker arrays (wrong lengths, NaN, 10,000 points) on the map."""
    w = _markers_widget()
    _reset(w, [(0.1, 0.1)])
    _run_sequence(w, [*messages, ("gesture", last)], exponent)
    # After a finished drag, the markers Python holds are the accepted starts.
    _check_markers(w)


@settings(FUZZ, max_examples=200)
@given(data=st.data(), last=GESTURE, exponent=GRID_EXPONENT)
def test_fuzz_the_one_dimensional_widget(data, last, exponent):
    """The same messages on a 1-D curve, whose markers must stay on the curve."""
    w = _curve_widget()
    _reset(w, [(3.0,)])
    ops = data.draw(st.lists(_grad_ops(w), min_size=1, max_size=6), label="messages")
    _run_sequence(w, [*ops, ("gesture", last)], exponent)
    _check_markers(w)


@settings(FUZZ, max_examples=60)
@given(
    drags=st.lists(
        X_DRAG,
        min_size=1,
        max_size=4,
    ),
    last=st.floats(-10.0, 10.0),
)
def test_fuzz_derivative_widget_drags(drags, last):
    """Drags of the tangent's marker: x stays finite inside the plot, the readout follows."""
    w = _derivative_widget()
    w.x = 3.0
    low, high = w.bounds
    with _watch() as (_, logged):
        for content in drags:
            _send_custom(w.marker, content)
            _check_logs(logged)
            assert math.isfinite(w.x) and low <= w.x <= high
            assert f'data-x="{w.x:.6g}"' in w.readout.value
            np.testing.assert_array_equal(w.marker.x, np.array([w.x], np.float32))
        _send_custom(w.marker, {"event": "drag_end", "point": {"x": last, "y": 0.0}})
        _check_logs(logged)
    assert w.x == min(max(last, low), high)
    assert w.values["f′"] == pytest.approx(6 * w.x + 4, rel=1e-5, abs=1e-5)


@settings(FUZZ, max_examples=200)
@given(
    states=st.lists(
        st.one_of(
            st.tuples(st.just("player"), PLAYER_STATE),
            st.tuples(st.just("surface"), SURFACE_STATE),
        ),
        min_size=1,
        max_size=10,
    ),
    last=st.integers(0, 9),
)
def test_fuzz_player_and_surface_states(states, last):
    """Transport states for a Player and camera/frame states for a SurfaceView."""
    player, surface = _cached("player", _make_player_and_surface)
    player.load(10, {}, [], frame=0)
    player.speed = 60.0
    surface.camera = {"elevation": 20.0, "azimuth": 20.0, "zoom": 1.0}
    with _watch() as (_, logged):
        for target, state in states:
            _send_state(player if target == "player" else surface, state)
            _check_logs(logged)
            assert player.n_frames == 10 and 0 <= player.frame <= 9
            assert SPEED_RANGE[0] <= player.speed <= SPEED_RANGE[1]
            assert isinstance(player.playing, bool)
            assert 0 <= surface.frame <= surface.n_frames - 1
            camera = surface.camera
            assert set(camera) == {"elevation", "azimuth", "zoom"}
            assert all(math.isfinite(v) for v in camera.values())
            assert ELEVATION_RANGE[0] <= camera["elevation"] <= ELEVATION_RANGE[1]
            assert -180.0 <= camera["azimuth"] < 180.0
            assert ZOOM_RANGE[0] <= camera["zoom"] <= ZOOM_RANGE[1]
        _send_state(player, {"frame": last, "playing": False})
        _send_state(surface, {"frame": last})
    assert (player.frame, player.playing, surface.frame) == (last, False, last)


def _make_player_and_surface() -> tuple[Player, SurfaceView]:
    surface = SurfaceView()
    xs = np.linspace(-1.0, 1.0, 5)
    surface.set_landscape(xs, xs, np.add.outer(xs**2, xs**2))
    surface.set_paths(np.zeros((2, 10, 2)), np.zeros((2, 10)))
    return Player(targets=[surface]), surface
