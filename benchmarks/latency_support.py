"""Helpers of ``latency.py``: kernel messages decoded, and a Chromium trace summarised.

:class:`WireLog` sees every frame on a page's kernel websockets and decodes enough of
it to tell the Player's messages apart: the run (a state update holding
``buffer_data``) and the learning-rate family (one holding ``family_data``), with
the byte size of each binary buffer. :func:`trace_summary` reads a Chromium
performance trace and says where the renderer's main thread spent its time.
"""

from __future__ import annotations

import itertools
import json
import struct
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.pages import KERNEL_SOCKET


@dataclass
class Message:
    """One kernel websocket frame: size on the wire and, for a widget state update,
    the state's keys and the size of each binary buffer by its trait name."""

    time: float
    direction: str  # "sent" | "received"
    size: int
    msg_type: str | None = None
    keys: tuple[str, ...] = ()
    buffers: dict[str, int] = field(default_factory=dict)
    members: int = 0  # len(family_values), for a family message

    @property
    def family(self) -> bool:
        return "family_data" in self.keys

    @property
    def run(self) -> bool:
        return "buffer_data" in self.keys and not self.family


def _parts(data: bytes) -> tuple[dict, dict, list[bytes]] | None:
    """(header, content, buffers) of a v1 or legacy binary kernel websocket frame."""
    n = struct.unpack_from("<Q", data, 0)[0]
    if 2 <= n <= 4096 and len(data) >= 8 * (n + 1):
        offsets = struct.unpack_from(f"<{n}Q", data, 8)
        if offsets[0] == 8 * (n + 1) and list(offsets) == sorted(offsets):
            # v1: channel, header, parent header, metadata, content, buffers...
            parts = [data[offsets[i] : offsets[i + 1]] for i in range(n - 1)]
            if len(parts) >= 5:
                return json.loads(parts[1]), json.loads(parts[4]), parts[5:]
    count = struct.unpack_from(">I", data, 0)[0]
    if 1 <= count <= 4096:
        offsets = [*struct.unpack_from(f">{count}I", data, 4), len(data)]
        message = json.loads(data[offsets[0] : offsets[1]])
        buffers = [data[offsets[i] : offsets[i + 1]] for i in range(1, count)]
        return message.get("header", {}), message.get("content", {}), buffers
    return None


def decode(direction: str, payload: str | bytes) -> Message:
    size = len(payload.encode() if isinstance(payload, str) else payload)
    message = Message(time.monotonic(), direction, size)
    try:
        if isinstance(payload, str):
            whole = json.loads(payload)
            header, content, buffers = whole.get("header", {}), whole.get("content", {}), []
        else:
            parts = _parts(bytes(payload))
            if parts is None:
                return message
            header, content, buffers = parts
    except (ValueError, struct.error, UnicodeDecodeError):
        return message
    message.msg_type = header.get("msg_type")
    data = content.get("data") if isinstance(content, dict) else None
    state = data.get("state") if isinstance(data, dict) else None
    if isinstance(state, dict):
        paths = data.get("buffer_paths") or []
        message.keys = tuple(sorted({*state, *(p[0] for p in paths if p)}))
        message.buffers = {
            str(path[0]): len(buffer) for path, buffer in zip(paths, buffers, strict=False) if path
        }
        message.members = len(state.get("family_values") or [])
    return message


class WireLog:
    """Every kernel websocket frame of a page, decoded. Attach before the page navigates."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.messages: list[Message] = []
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws: Any) -> None:
        if KERNEL_SOCKET.search(ws.url):
            ws.on("framesent", lambda payload: self.messages.append(decode("sent", payload)))
            ws.on("framereceived", lambda p: self.messages.append(decode("received", p)))

    def since(self, start: float) -> list[Message]:
        return [m for m in self.messages if m.time >= start]

    def wait_for(self, test: Callable[[Message], bool], start: float, timeout_ms: int) -> bool:
        """Wait until a message received after ``start`` passes ``test``; False on timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            if any(m.direction == "received" and test(m) for m in self.since(start)):
                return True
            if time.monotonic() > deadline:
                return False
            self.page.wait_for_timeout(25)


#: Trace events that say where a frame's main-thread time goes (nested ones overlap:
#: a FunctionCall runs inside a FireAnimationFrame, for instance).
TRACE_EVENTS = {
    "RunTask": "all tasks",
    "FireAnimationFrame": "animation-frame callbacks",
    "FunctionCall": "script calls",
    "TimerFire": "timers",
    "EventDispatch": "DOM events",
    "UpdateLayoutTree": "style",
    "Layout": "layout",
    "PrePaint": "pre-paint",
    "Paint": "paint",
    "Layerize": "layerize",
    "Commit": "commit",
    "MinorGC": "minor GC",
    "MajorGC": "major GC",
}


def trace_summary(trace: bytes, frames: int) -> dict[str, float]:
    """Main-thread ms per frame by event (see TRACE_EVENTS) of the busiest renderer.

    ``frames`` is the number of frames drawn while tracing. Also counts the gaps
    between animation-frame callbacks longer than 20 ms (``frames over 20 ms``).
    """
    events = json.loads(trace)
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    totals: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    animation: dict[tuple, list[float]] = defaultdict(list)
    for e in events:
        thread = (e.get("pid"), e.get("tid"))
        if thread not in mains or e.get("ph") != "X" or e.get("name") not in TRACE_EVENTS:
            continue
        totals[thread][e["name"]] += e.get("dur", 0) / 1000
        if e["name"] == "FireAnimationFrame":
            animation[thread].append(e["ts"] / 1000)
    if not totals:
        return {}
    busiest = max(totals, key=lambda t: totals[t].get("RunTask", 0.0))
    summary = {TRACE_EVENTS[name]: ms / max(frames, 1) for name, ms in totals[busiest].items()}
    starts = sorted(animation[busiest])
    summary["frames over 20 ms"] = sum(b - a > 20 for a, b in itertools.pairwise(starts))
    summary["animation frames"] = len(starts)
    return summary
