"""Playwright helpers: console capture, kernel-frame counting, opening and running
notebooks in JupyterLab, Notebook 7 and Voilà, and screenshots.

All helpers take a Playwright *sync* ``Page``. The ``page`` fixture of
``conftest.py`` already calls :func:`attach_console_capture` and
:func:`attach_kernel_socket_monitor` before the first navigation, which is
required for the websocket counter to see the kernel's socket.

Typical test::

    from .pages import (assert_no_console_errors, count_kernel_frames,
                        open_lab_notebook, run_all_cells_lab)

    def test_slider(page, jupyter_server, make_notebook, screenshot):
        make_notebook("t_slider", ["import ipywidgets as W", "W.IntSlider()"])
        open_lab_notebook(page, jupyter_server, "t_slider")
        run_all_cells_lab(page)
        with count_kernel_frames(page) as frames:
            page.locator(".widget-slider .noUi-handle").press("ArrowRight")
            page.locator(".widget-readout", has_text="1").wait_for()
        assert frames.sent >= 1, frames.msg_types()
        screenshot(page)
        assert_no_console_errors(page)
"""

from __future__ import annotations

import contextlib
import json
import re
import struct
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, WebSocket
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# --------------------------------------------------------------------------------------
# Console capture
# --------------------------------------------------------------------------------------


@dataclass
class ConsoleEntry:
    """One console message, uncaught page error, or failed request."""

    kind: str  # "console" | "pageerror" | "requestfailed" | "http"
    type: str  # console type ("error", "warning", ...); "error" for the other kinds
    text: str
    url: str = ""  # source location of a console message, or the request URL
    stack: str = ""

    def __str__(self) -> str:
        where = f" [{self.url}]" if self.url else ""
        return f"{self.kind}/{self.type}: {self.text}{where}"

    @property
    def haystack(self) -> str:
        return f"{self.text}\n{self.url}\n{self.stack}"


#: Errors that mention any of these are always kept, whatever the noise filter says.
OUR_CODE = re.compile(r"widget\.js|jaxgrad|anywidget|bqplot|bqscales", re.IGNORECASE)

#: Known-harmless errors in an offline, headless run. Each entry: (regex, why).
HARMLESS_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^https?://(?!127\.0\.0\.1|localhost)", re.MULTILINE),
        "any resource outside the test server (Voilà links FontAwesome from a CDN; offline)",
    ),
    (re.compile(r"ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED"), "offline DNS failure"),
    (re.compile(r"favicon", re.IGNORECASE), "favicon requests"),
    (re.compile(r"fontawesome|\.woff2?\b|\.ttf\b", re.IGNORECASE), "web fonts"),
    (
        re.compile(r"Unsatisfied version|No satisfying version|does not satisfy the requirement"),
        "Voilà's module-federation version warnings",
    ),
    (
        re.compile(r"RUNTIME-012[\s\S]*@jupyterlab/docregistry|@jupyter-notebook/lab-extension"),
        "Voilà cannot load Notebook 7's lab extension (it needs @jupyterlab/docregistry)",
    ),
    (
        re.compile(r"Cannot read properties of undefined \(reading 'schema'\)[\s\S]*notebook_core"),
        "Notebook 7.6 start-up bug in its shortcut settings handler (upstream, harmless)",
    ),
]


def is_harmless(entry: ConsoleEntry) -> bool:
    """True for known noise; never for an error that mentions our code."""
    text = entry.haystack
    if OUR_CODE.search(text):
        return False
    return any(p.search(text) for p, _ in HARMLESS_ERRORS)


def attach_console_capture(page: Page) -> None:
    """Record console messages, page errors and failed requests on ``page``.

    Adds these lists to the page object:

    * ``page.console_messages``: every console message (all types)
    * ``page.console_errors``: console errors, uncaught page errors, failed
      requests and HTTP >= 400 responses, as :class:`ConsoleEntry`
    """
    if hasattr(page, "console_errors"):
        return
    page.console_messages = []
    page.console_errors = []

    def on_console(msg) -> None:
        loc = msg.location or {}
        entry = ConsoleEntry("console", msg.type, msg.text, loc.get("url", ""))
        page.console_messages.append(entry)
        if msg.type == "error":
            page.console_errors.append(entry)

    def on_pageerror(err) -> None:
        page.console_errors.append(
            ConsoleEntry("pageerror", "error", str(err), stack=getattr(err, "stack", "") or "")
        )

    def on_requestfailed(req) -> None:
        page.console_errors.append(
            ConsoleEntry("requestfailed", "error", str(req.failure or "request failed"), req.url)
        )

    def on_response(resp) -> None:
        if resp.status >= 400:
            page.console_errors.append(
                ConsoleEntry("http", "error", f"HTTP {resp.status} {resp.request.method}", resp.url)
            )

    page.on("console", on_console)
    page.on("pageerror", on_pageerror)
    page.on("requestfailed", on_requestfailed)
    page.on("response", on_response)


def significant_errors(
    page: Page, allow: Iterable[str | re.Pattern[str]] = ()
) -> list[ConsoleEntry]:
    """Console errors of ``page`` minus known noise and minus regexes in ``allow``."""
    allowed = [re.compile(a) if isinstance(a, str) else a for a in allow]
    return [
        e
        for e in getattr(page, "console_errors", [])
        if not is_harmless(e) and not any(a.search(e.haystack) for a in allowed)
    ]


def assert_no_console_errors(page: Page, allow: Iterable[str | re.Pattern[str]] = ()) -> None:
    """Fail with a readable list if the page logged errors that are not known noise."""
    errors = significant_errors(page, allow)
    assert not errors, "browser console errors:\n" + "\n".join(
        f"  - {e}" + (f"\n{_indent(e.stack)}" if e.stack else "") for e in errors
    )


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines()[:15])


# --------------------------------------------------------------------------------------
# Kernel websocket frames
# --------------------------------------------------------------------------------------

#: Kernel channel sockets: JupyterLab, Notebook 7 and Voilà all use
#: ``/api/kernels/<id>/channels``.
KERNEL_SOCKET = re.compile(r"/api/kernels/[^/]+/channels")


@dataclass
class KernelFrame:
    direction: str  # "sent" (browser -> kernel) | "received"
    size: int  # bytes on the wire
    channel: str | None  # "shell", "iopub", ... when the frame could be decoded
    msg_type: str | None  # "comm_msg", "status", ... when the frame could be decoded
    time: float


@dataclass
class KernelFrameCounter:
    """Frames seen on kernel websockets while the counter was active."""

    page: Page
    frames: list[KernelFrame] = field(default_factory=list)
    active: bool = True

    @property
    def sent(self) -> int:
        return sum(f.direction == "sent" for f in self.frames)

    @property
    def received(self) -> int:
        return sum(f.direction == "received" for f in self.frames)

    @property
    def total(self) -> int:
        return len(self.frames)

    @property
    def sent_bytes(self) -> int:
        return sum(f.size for f in self.frames if f.direction == "sent")

    @property
    def received_bytes(self) -> int:
        return sum(f.size for f in self.frames if f.direction == "received")

    def msg_types(self, direction: str | None = None) -> Counter:
        """``Counter`` of message types, e.g. ``{"comm_msg": 2, "status": 4}``."""
        return Counter(f.msg_type or "?" for f in self.frames if direction in (None, f.direction))

    def _record(self, frame: KernelFrame) -> None:
        if self.active:
            self.frames.append(frame)

    def wait_until_quiet(self, quiet_ms: int = 300, timeout_ms: int = 10_000) -> None:
        """Wait until no kernel frame arrived for ``quiet_ms`` (e.g. after a slider move)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            self.page.wait_for_timeout(min(quiet_ms, 100))
            last = self.frames[-1].time if self.frames else 0.0
            if time.monotonic() - last >= quiet_ms / 1000:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"kernel websocket still busy after {timeout_ms} ms")

    def __repr__(self) -> str:
        return f"<KernelFrameCounter sent={self.sent} received={self.received}>"


class KernelSocketMonitor:
    """Sees every kernel websocket a page opens and feeds frames to active counters."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sockets: list[WebSocket] = []
        self.counters: list[KernelFrameCounter] = []
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws: WebSocket) -> None:
        if not KERNEL_SOCKET.search(ws.url):
            return
        self.sockets.append(ws)
        ws.on("framesent", lambda payload: self._on_frame("sent", payload))
        ws.on("framereceived", lambda payload: self._on_frame("received", payload))

    def _on_frame(self, direction: str, payload: str | bytes) -> None:
        if not self.counters:
            return
        channel, msg_type = decode_kernel_frame(payload)
        size = len(payload.encode() if isinstance(payload, str) else payload)
        frame = KernelFrame(direction, size, channel, msg_type, time.monotonic())
        for c in self.counters:
            c._record(frame)


def attach_kernel_socket_monitor(page: Page) -> KernelSocketMonitor:
    """Install (once) the monitor as ``page.kernel_sockets``. Call before navigating."""
    monitor = getattr(page, "kernel_sockets", None)
    if monitor is None:
        monitor = KernelSocketMonitor(page)
        page.kernel_sockets = monitor
    return monitor


@contextlib.contextmanager
def count_kernel_frames(page: Page, settle_ms: int = 150) -> Iterator[KernelFrameCounter]:
    """Count kernel websocket frames sent/received inside the ``with`` block.

    ::

        with count_kernel_frames(page) as frames:
            page.keyboard.press("ArrowRight")
            expect(...)  # wait for the effect
        assert frames.sent == 1, frames.msg_types()

    Playwright delivers frame events while it waits, so on exit the counter
    waits ``settle_ms`` more to collect frames already on the wire. The page
    must have been set up with :func:`attach_kernel_socket_monitor` *before*
    it opened the kernel socket (the ``page`` fixture does this).
    """
    monitor = getattr(page, "kernel_sockets", None)
    if monitor is None:
        if page.url not in ("", "about:blank"):
            raise RuntimeError(
                "count_kernel_frames: this page has no kernel socket monitor and has already "
                "navigated, so its kernel websocket cannot be seen. Call "
                "attach_kernel_socket_monitor(page) before page.goto (the `page` fixture does)."
            )
        monitor = attach_kernel_socket_monitor(page)
    counter = KernelFrameCounter(page)
    monitor.counters.append(counter)
    try:
        yield counter
        if settle_ms:
            page.wait_for_timeout(settle_ms)
    finally:
        counter.active = False
        monitor.counters.remove(counter)


class KernelGate:
    """Holds back the kernel's messages to the page, on demand (the page's go through).

    Installed before the page opens its kernel socket; while ``held``, every frame the
    kernel sends waits in ``pending``, so whatever the page shows meanwhile was drawn
    without the kernel. :meth:`release` delivers them in order.

    ::

        gate = KernelGate.install(page)
        ...
        with gate.holding():
            page.keyboard.press("ArrowRight")
            wait_path_change(...)      # drawn with no kernel message
        # released: the kernel's answers arrive
    """

    def __init__(self) -> None:
        self.held = False
        self.pending: list[tuple[Any, str | bytes]] = []
        self.sockets = 0

    @classmethod
    def install(cls, page: Page) -> KernelGate:
        gate = cls()
        page.route_web_socket(KERNEL_SOCKET, gate._route)
        return gate

    def _route(self, ws: Any) -> None:
        server = ws.connect_to_server()
        self.sockets += 1
        ws.on_message(lambda message: server.send(message))

        def from_kernel(message: str | bytes) -> None:
            if self.held:
                self.pending.append((ws, message))
            else:
                ws.send(message)

        server.on_message(from_kernel)

    @contextlib.contextmanager
    def holding(self) -> Iterator[KernelGate]:
        self.held = True
        try:
            yield self
        finally:
            self.release()

    def release(self) -> None:
        self.held = False
        pending, self.pending = self.pending, []
        for ws, message in pending:
            ws.send(message)


def decode_kernel_frame(payload: str | bytes) -> tuple[str | None, str | None]:
    """Best-effort ``(channel, msg_type)`` of a kernel websocket frame.

    Understands the ``v1.kernel.websocket.jupyter.org`` binary protocol used by
    JupyterLab 4 / jupyter_server 2 and the legacy JSON / binary-buffer
    protocol. Returns ``(None, None)`` for anything else.
    """
    try:
        if isinstance(payload, str):
            msg = json.loads(payload)
            return msg.get("channel"), msg.get("header", {}).get("msg_type") or msg.get("msg_type")
        data = bytes(payload)
        # v1: uint64 LE count n, n uint64 LE offsets; parts = channel, header, ...
        n = struct.unpack_from("<Q", data, 0)[0]
        if 2 <= n <= 1024 and len(data) >= 8 * (n + 1):
            offsets = struct.unpack_from(f"<{n}Q", data, 8)
            if (
                offsets[0] == 8 * (n + 1)
                and list(offsets) == sorted(offsets)
                and offsets[-1] <= len(data)
            ):
                channel = data[offsets[0] : offsets[1]].decode()
                header = json.loads(data[offsets[1] : offsets[2]])
                return channel, header.get("msg_type")
        # legacy binary: uint32 BE count, offsets; first part is the JSON message
        nbufs = struct.unpack_from(">I", data, 0)[0]
        offsets = struct.unpack_from(f">{nbufs}I", data, 4)
        msg = json.loads(data[offsets[0] : offsets[1] if nbufs > 1 else len(data)])
        return msg.get("channel"), msg.get("header", {}).get("msg_type")
    except Exception:
        return None, None


# --------------------------------------------------------------------------------------
# JupyterLab and Notebook 7
# --------------------------------------------------------------------------------------

#: The notebook panel that is currently shown (JupyterLab hides inactive tabs).
_PANEL_JS = """
() => Array.from(document.querySelectorAll('.jp-NotebookPanel'))
           .find(p => !p.classList.contains('lm-mod-hidden') && p.offsetParent !== null)
"""

# State of the shown notebook. Cells marked by the run observer (see _WATCH_RUN_JS) with
# `token` count as run in this run.
# Returns {status, cells: [{count, empty, pending, ran}], errors: [...], loading: n}
_NOTEBOOK_STATE_JS = """
(token) => {
  const panel = (__PANEL__)();
  if (!panel) return null;
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator')
           || document.querySelector('.jp-Notebook-ExecutionIndicator');
  const codeCells = Array.from(panel.querySelectorAll('.jp-Notebook .jp-CodeCell'));
  const cells = codeCells.map(cell => {
    const prompt = (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '';
    const m = prompt.match(/\\[(\\d+)\\]/);
    const src = (cell.querySelector('.cm-content') || {}).textContent || '';
    return {count: m ? parseInt(m[1]) : null, pending: prompt.includes('*'),
            empty: src.trim() === '', ran: !!token && cell.dataset.e2eRun === token};
  });
  // Only outputs of cells run now: stale outputs of an earlier run do not count.
  const outputs = codeCells.filter(c => !token || c.dataset.e2eRun === token)
                           .flatMap(c => Array.from(c.querySelectorAll('.jp-OutputArea-output')));
  return {
    status: ind ? ind.getAttribute('data-status') : null,
    cells,
    errors: outputs.map(o => o.textContent).filter(__IS_ERROR__),
    loading: outputs.filter(__LOADING__).length,
  };
}
"""

# Marks every code cell whose prompt shows "[*]" (queued or running) with
# data-e2e-run=token. A MutationObserver sees the "[*]" even when the cell runs
# too fast for polling, and also when the new execution count equals the old one
# (a fresh kernel counts from 1 again).
_WATCH_RUN_JS = """
(token) => {
  const panel = (__PANEL__)();
  if (!panel) return false;
  if (window.__e2eRunObserver) window.__e2eRunObserver.disconnect();
  const mark = (node) => {
    const el = node && (node.nodeType === 3 ? node.parentElement : node);
    const cell = el && el.closest && el.closest('.jp-CodeCell');
    if (!cell) return;
    const prompt = cell.querySelector('.jp-InputArea-prompt');
    if (prompt && prompt.textContent.includes('*')) cell.dataset.e2eRun = token;
  };
  const observer = new MutationObserver(records => records.forEach(r => mark(r.target)));
  observer.observe(panel, {subtree: true, childList: true, characterData: true});
  window.__e2eRunObserver = observer;
  return true;
}
"""

#: An output whose text matches one of these is an error: a Python traceback
#: (JupyterLab/Notebook 7, and Voilà with --show_tracebacks), a syntax error, a
#: widget that could not be displayed, a renderer that threw, or Voilà's generic
#: message when tracebacks are hidden.
ERROR_OUTPUT_PATTERNS = [
    r"Traceback \(most recent call last\)",
    r"^\s*Cell In\[\d+\], line \d+",
    r"Error displaying widget",
    r"Javascript Error:",
    r"There was an error when executing cell",
]
_IS_ERROR_JS = f"t => new RegExp({json.dumps('|'.join(ERROR_OUTPUT_PATTERNS))}, 'm').test(t)"

# A widget output that has not rendered yet: empty or "Loading widget...".
_LOADING_JS = (
    r"o => o.childElementCount === 0 && /^\s*(Loading widget\.\.\.)?\s*$/.test(o.textContent)"
)


def _js(template: str) -> str:
    """Fill the shared snippets into a JS template."""
    return (
        template.replace("__PANEL__", _PANEL_JS.strip())
        .replace("__IS_ERROR__", _IS_ERROR_JS)
        .replace("__LOADING__", _LOADING_JS)
    )


class NotebookError(AssertionError):
    """A cell raised, or a widget failed to render, while running a notebook."""


def _notebook_state(page: Page, token: str | None = None) -> dict | None:
    return page.evaluate(_js(_NOTEBOOK_STATE_JS), token)


# The notebook is loaded and its kernel connected and idle. The toolbar's execution
# indicator alone is not enough: it says "idle" for a moment before the session
# has a kernel, and "Run All" then does nothing. So, when the server exposes
# window.jupyterapp (the servers of servers.py do), ask the session itself.
_NOTEBOOK_READY_JS = """
() => {
  const panel = (__PANEL__)();
  if (!panel || panel.querySelector('.jp-Spinner')) return false;
  if (!panel.querySelector('.jp-Notebook .jp-Cell')) return false;
  const app = window.jupyterapp;
  const widget = app && app.shell && app.shell.currentWidget;
  if (widget && widget.sessionContext && widget.context) {
    const sc = widget.sessionContext;
    const kernel = sc.session && sc.session.kernel;
    return !!(widget.context.isReady && sc.isReady && kernel
              && kernel.connectionStatus === 'connected' && kernel.status === 'idle');
  }
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator')
           || document.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!ind && ind.getAttribute('data-status') === 'idle';
}
"""


def _wait_for_notebook_ready(page: Page, timeout: float) -> None:
    page.wait_for_function(_js(_NOTEBOOK_READY_JS), timeout=timeout)


def open_lab_notebook(
    page: Page, server, name: str, *, workspace: str | None = None, timeout: float = 60_000
) -> None:
    """Open ``NAME.ipynb`` in JupyterLab and wait until its kernel is idle.

    ``server`` is the ``jupyter_server`` fixture (anything with a ``.url``).
    The URL is ``/lab/workspaces/<workspace>/tree/NAME.ipynb?reset``: ``?reset``
    starts from an empty layout, so no other tab is restored, and a fresh
    workspace name per call (the default) keeps tests from sharing layout state.
    """
    workspace = workspace or f"e2e-{uuid.uuid4().hex[:10]}"
    page.goto(f"{server.url}lab/workspaces/{workspace}/tree/{_ipynb(name)}?reset")
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=timeout)
    _wait_for_notebook_ready(page, timeout)


def open_notebook7(page: Page, server, name: str, *, timeout: float = 60_000) -> None:
    """Open ``NAME.ipynb`` in Notebook 7 (``/notebooks/NAME.ipynb``); wait for an idle kernel.

    Use the ``notebook7_server`` fixture (a ``jupyter notebook`` server): see
    :func:`servers.start_jupyter_lab` for why not the JupyterLab server.
    """
    page.goto(f"{server.url}notebooks/{_ipynb(name)}")
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=timeout)
    _wait_for_notebook_ready(page, timeout)


def run_all_cells_lab(page: Page, *, timeout: float = 120_000, check_errors: bool = True) -> None:
    """Run > Run All Cells in the current notebook and wait until it has finished.

    Finished means: the kernel is idle, every non-empty code cell went through
    "[*]" during this run and now shows an execution count, and no widget
    output of those cells is still "Loading widget...". With ``check_errors`` a
    cell that raised, or a widget that failed to display, raises
    :class:`NotebookError` at once (with the traceback text); without it, a
    run stopped by an error times out. Works for JupyterLab and Notebook 7.
    """
    token = uuid.uuid4().hex
    if not page.evaluate(_js(_WATCH_RUN_JS), token):
        raise RuntimeError("run_all_cells: no notebook is open on this page")
    try:
        for attempt in range(3):
            page.keyboard.press("Escape")  # close any open menu; command mode
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            # Rarely, right after the page opened, the command does nothing: try again.
            if _wait_for_start(page, token, timeout=5_000):
                break
            if attempt == 2:
                raise RuntimeError("Run > Run All Cells did not start executing the notebook")
            print(f"run_all_cells: Run All Cells had no visible effect, retrying ({attempt + 1})")
        _wait_for_run(page, token, timeout, check_errors)
    finally:
        page.evaluate("() => window.__e2eRunObserver && window.__e2eRunObserver.disconnect()")


#: Notebook 7 has the same menu and DOM as JupyterLab.
run_all_cells_notebook7 = run_all_cells_lab


def _wait_for_start(page: Page, token: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        state = _notebook_state(page, token) or {"cells": [], "status": None}
        # Only the observer's mark counts: "busy" alone can be the widget manager's
        # start-up requests, and a "[*]" could be left over from before.
        if any(c["ran"] for c in state["cells"]):
            return True
        if all(c["empty"] for c in state["cells"]):
            return True  # nothing to run
        page.wait_for_timeout(50)
    return False


#: How long the kernel may sit idle, with no cell queued, before a run that has not
#: reached every cell counts as stopped (an error with check_errors=False, a dead kernel).
STALL_SECONDS = 10.0


def _wait_for_run(page: Page, token: str, timeout: float, check_errors: bool) -> None:
    deadline = time.monotonic() + timeout / 1000
    state: dict | None = None
    stalled_since: float | None = None
    while time.monotonic() < deadline:
        state = _notebook_state(page, token)
        if state is not None:
            if check_errors and state["errors"]:
                raise NotebookError("a cell failed:\n" + "\n---\n".join(state["errors"]))
            quiet = state["status"] == "idle" and not any(c["pending"] for c in state["cells"])
            complete = all(c["empty"] or (c["ran"] and c["count"]) for c in state["cells"])
            if quiet and complete and state["loading"] == 0:
                return
            if quiet and not complete:
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > STALL_SECONDS:
                    raise NotebookError(
                        f"the run stopped before reaching every cell (kernel idle, nothing "
                        f"queued for {STALL_SECONDS:.0f} s); cell states: {state['cells']}"
                    )
            else:
                stalled_since = None
        page.wait_for_timeout(100)
    raise PlaywrightTimeoutError(
        f"notebook did not finish running within {timeout / 1000:.0f} s; last state: {state}"
    )


def _ipynb(name: str) -> str:
    return name if name.endswith(".ipynb") else name + ".ipynb"


# --------------------------------------------------------------------------------------
# Voilà
# --------------------------------------------------------------------------------------

_VOILA_STATE_JS = """
() => {
  const cells = document.getElementById('rendered_cells');
  const outputs = Array.from(document.querySelectorAll('#rendered_cells .jp-OutputArea-output'));
  return {
    spinner: !!document.getElementById('loading'),
    loadingText: (document.getElementById('loading_text') || {}).textContent || null,
    shown: !!cells && cells.style.display !== 'none',
    unrendered: document.querySelectorAll(
        'script[type="application/vnd.voila.cell-output+json"]').length,
    loading: outputs.filter(__LOADING__).length,
    errors: outputs.map(o => o.textContent).filter(__IS_ERROR__),
  };
}
"""


def open_voila(
    page: Page, url: str, *, timeout: float = 120_000, check_errors: bool = True
) -> None:
    """Open a Voilà page and wait until it has rendered everything.

    Voilà 0.5 streams the executed notebook while showing a spinner
    ("Executing N of M"), then removes the spinner, shows ``#rendered_cells``
    and renders every output (widgets asynchronously). This waits for all of
    that, and for no output to be "Loading widget..." any more.
    With ``check_errors`` a traceback in an output (Voilà shows them with
    ``show_tracebacks``) or a widget that failed raises :class:`NotebookError`.
    """
    page.goto(url, timeout=timeout)
    deadline = time.monotonic() + timeout / 1000
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(_js(_VOILA_STATE_JS))
        if check_errors and state["errors"]:
            raise NotebookError("Voilà output error:\n" + "\n---\n".join(state["errors"]))
        if (
            not state["spinner"]
            and state["shown"]
            and state["unrendered"] == 0
            and state["loading"] == 0
        ):
            return
        page.wait_for_timeout(100)
    raise PlaywrightTimeoutError(
        f"Voilà did not finish rendering within {timeout / 1000:.0f} s; last state: {state}"
    )


# --------------------------------------------------------------------------------------
# Screenshots and small utilities
# --------------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """``test_x[lab-1]`` -> ``test_x-lab-1`` (usable as a file name)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "screenshot"


def save_screenshot(page: Page, directory: Path, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of ``page`` as ``directory/<name>.png`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{safe_filename(name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def svg_attr(page: Page, selector: str, attr: str = "d", *, state: str = "attached") -> str | None:
    """Attribute of the first element matching ``selector`` (``d`` of an SVG path by default).

    Waits for the element to be attached (not visible: Playwright considers a
    one-point bqplot path hidden).
    """
    loc = page.locator(selector).first
    loc.wait_for(state=state)
    return loc.get_attribute(attr)


def wait_for_attr_change(
    page: Page, selector: str, old: str | None, attr: str = "d", *, timeout: float = 10_000
) -> str:
    """Wait until ``selector``'s ``attr`` differs from ``old``; return the new value."""
    handle = page.wait_for_function(
        """([sel, attr, old]) => {
             const el = document.querySelector(sel);
             const v = el && el.getAttribute(attr);
             return v !== null && v !== old ? v : false;
           }""",
        arg=[selector, attr, old],
        timeout=timeout,
    )
    return handle.json_value()
