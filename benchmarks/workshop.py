"""Workshop benchmark: a class arriving at once at one Voilà server on this machine.

Run: ``.venv/bin/python benchmarks/workshop.py [--students 1 10 30] [--browsers 3]
[--servers served default] [--notebook examples/dashboard.ipynb]``. Prints tables;
asserts nothing.

For each server set-up and each class size N, a fresh server is started and N students
arrive at the same moment. A student is served once the page has arrived and every
widget's state has been delivered: as a browser does, each fetches the page, connects
to its kernel's websocket, opens the widgets' control channel and asks for every
widget's state (``request_states``); the student is counted when the answer
(``update_states``) has arrived. ``--browsers`` of the N students are real Chromium pages
instead (Debian's Chromium, headless), counted once the map is drawn and Play
answers. Printed per run: median, p90 and max time to a served page (and to the page
alone), the widget models and bytes of state per student, the server's CPU while the
class arrives, divided by N, and per kernel its CPU to get ready (starting, running the
notebook) and its memory.

Server set-ups:
- ``served``: ``jaxgrad-widgets serve NOTEBOOK --students N`` (what ``make workshop``
  runs): a preheated pool of N kernels, filled before the class arrives, sharing JAX's
  compilation cache (warm: the first pool of the run fills it);
- ``default``: plain ``voila NOTEBOOK``: every page starts a kernel and runs the notebook.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tornado.httpclient import AsyncHTTPClient, HTTPRequest  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402

from tests.e2e.servers import (  # noqa: E402
    ServerProcess,
    isolated_jupyter_env,
    start_served,
    start_voila,
)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
#: How long one student may wait before counting as failed.
PATIENCE = 300.0
#: A server process past this much memory is stopped (the machine has 24 GiB).
SERVER_MEMORY_LIMIT = 4 * 2**30


@dataclass
class Student:
    page_s: float = float("nan")  # the page has arrived
    served_s: float = float("nan")  # every widget's state has arrived
    models: int = 0
    state_bytes: int = 0
    error: str = ""


#: The kernel websocket protocol browsers speak (the server's legacy JSON protocol made
#: this Voilà's memory grow by some 60 MB/s once a client asked for the widgets' state).
PROTOCOL = "v1.kernel.websocket.jupyter.org"


def _message(msg_type: str, content: dict, session: str, metadata: dict | None = None) -> bytes:
    """A shell message in the v1 framing: offsets, channel, header, parent, metadata, content."""
    header = {"msg_id": uuid.uuid4().hex, "username": "student", "session": session,
              "msg_type": msg_type, "version": "5.3",
              "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())}  # fmt: skip
    parts = [json.dumps(part).encode() for part in (header, {}, metadata or {}, content)]
    channel = b"shell"
    offsets = [8 * (len(parts) + 3), 8 * (len(parts) + 3) + len(channel)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return b"".join([len(offsets).to_bytes(8, "little"),
                     *(o.to_bytes(8, "little") for o in offsets), channel, *parts])  # fmt: skip


def _decode(frame: bytes) -> tuple[str, dict, dict]:
    """A v1 frame's message type and content, and its header."""
    count = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    header = json.loads(frame[offsets[1] : offsets[2]])
    content = json.loads(frame[offsets[4] : offsets[5]])
    return header.get("msg_type", ""), content, header


async def one_student(base: str, start: float) -> Student:
    """Fetch the page, then every widget's state over the kernel's websocket."""
    result = Student()
    try:
        request = HTTPRequest(base, connect_timeout=PATIENCE, request_timeout=PATIENCE)
        response = await AsyncHTTPClient().fetch(request)
        result.page_s = time.perf_counter() - start
        page = response.body.decode()
        match = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', page)
        if match is None:
            result.error = "no kernel id in the page"
            return result
        session = uuid.uuid4().hex
        ws_url = base.replace("http://", "ws://") + (
            f"api/kernels/{match.group(1)}/channels?session_id={session}"
        )
        ws = await websocket_connect(ws_url, max_message_size=1 << 30, subprotocols=[PROTOCOL])
        comm = uuid.uuid4().hex
        # As Jupyter widgets' managers do: the control channel's protocol version.
        await ws.write_message(
            _message(
                "comm_open",
                {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
                session,
                {"version": "1.0.0"},
            ),
            binary=True,
        )
        ask = {"comm_id": comm, "data": {"method": "request_states"}}
        await ws.write_message(_message("comm_msg", ask, session), binary=True)
        while True:
            frame = await asyncio.wait_for(ws.read_message(), PATIENCE)
            if frame is None:
                result.error = "the kernel's websocket closed"
                break
            msg_type, content, _ = _decode(frame)
            data = content.get("data", {})
            if msg_type == "comm_msg" and data.get("method") == "update_states":
                result.served_s = time.perf_counter() - start
                result.models = len(data.get("states", {}))
                result.state_bytes = len(frame)
                break
        ws.close()
    except Exception as error:  # a failed student is reported, not fatal
        result.error = f"{type(error).__name__}: {error}"
    return result


def browser_students(base: str, count: int, start_at: float, out: list[Student]) -> None:
    """``count`` Chromium pages arriving at ``start_at``: served once the map is drawn
    and Play answers."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        pages = [browser.new_page(viewport={"width": 1280, "height": 900}) for _ in range(count)]
        time.sleep(max(start_at - time.perf_counter(), 0))
        for page in pages:
            page.goto(base, wait_until="commit", timeout=PATIENCE * 1000)
        for page in pages:
            result = Student()
            try:
                page.locator(".jgw-grad-descent .jgw-map path.line").first.wait_for(
                    state="attached", timeout=PATIENCE * 1000)  # fmt: skip
                play = page.locator("[data-testid='jgw-play']").first
                play.click(timeout=PATIENCE * 1000)
                playing = (
                    "() => document.querySelector(\"[data-testid='jgw-transport']\")"
                    "?.getAttribute('data-playing') === 'true'"
                )
                page.wait_for_function(playing, timeout=PATIENCE * 1000)
                result.served_s = time.perf_counter() - start_at
                result.models = page.evaluate("() => document.querySelectorAll('.jgw-root').length")
            except Exception as error:
                result.error = f"{type(error).__name__}: {str(error)[:120]}"
            out.append(result)
        browser.close()


def _tree(server: ServerProcess) -> list[psutil.Process]:
    root = psutil.Process(server.proc.pid)
    return [root, *root.children(recursive=True)]


def _kernels(server: ServerProcess) -> list[psutil.Process]:
    return [p for p in _tree(server) if "ipykernel_launcher" in " ".join(p.cmdline())]


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for p in processes:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _wait_for_pool(server: ServerProcess, name: str, size: int, timeout: float = 900) -> None:
    """Until the pool is full and every kernel has run the notebook (the server and its
    kernels use under a tenth of a core for 3 s)."""
    deadline = time.monotonic() + timeout
    line = f"Kernel pool of {name} is filled with {size} kernel(s)"
    while line not in server.log_path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the pool did not fill:\n{server.log_tail()}")
        time.sleep(0.5)
    before = _cpu(_tree(server))
    while True:
        time.sleep(3.0)
        now = _cpu(_tree(server))
        if now - before < 0.3 or time.monotonic() > deadline:
            return
        before = now


def _guard_memory(server: ServerProcess, stop: threading.Event) -> None:
    """Stop the server should its own process grow past SERVER_MEMORY_LIMIT."""
    while not stop.wait(1.0):
        try:
            if psutil.Process(server.proc.pid).memory_info().rss > SERVER_MEMORY_LIMIT:
                print(f"  the server passed {SERVER_MEMORY_LIMIT / 2**30:.0f} GiB: stopped")
                server.stop()
                return
        except psutil.Error:
            return


def run_class(kind: str, notebook: Path, students: int, browsers: int, env: dict[str, str],
              work: Path) -> dict:  # fmt: skip
    """Start a server, let a class of ``students`` arrive at once, measure, stop it."""
    logs = work / "logs"
    if kind == "served":
        server = start_served(notebook, logs, env, students=students, cache_dir=work / "cache")
        _wait_for_pool(server, notebook.name, students)
    else:
        server = start_voila(notebook, logs, env)
    stop_guard = threading.Event()
    threading.Thread(target=_guard_memory, args=(server, stop_guard), daemon=True).start()
    try:
        time.sleep(2.0)  # the server settles (a pool's last kernel reports in)
        ready_kernels = _kernels(server)
        prepare_cpu = _cpu(ready_kernels)
        cpu_before = _cpu(_tree(server))
        base = server.url
        in_browser = min(browsers, students)
        start = time.perf_counter() + 1.0
        browser_results: list[Student] = []
        thread = threading.Thread(target=browser_students,
                                  args=(base, in_browser, start, browser_results))  # fmt: skip
        if in_browser:
            thread.start()

        async def wave() -> list[Student]:
            await asyncio.sleep(max(start - time.perf_counter(), 0))
            tasks = [one_student(base, start) for _ in range(students - in_browser)]
            return list(await asyncio.gather(*tasks))

        # Every student's page request at once (tornado queues beyond 10 by default).
        AsyncHTTPClient.configure(None, max_clients=max(students, 10))
        results = asyncio.run(wave())
        if in_browser:
            thread.join()
        time.sleep(1.0)
        tree = _tree(server)
        arrival_cpu = _cpu(tree) - cpu_before
        kernels = _kernels(server)
        memory = [p.memory_info().rss for p in kernels if p.is_running()]
        if kind == "default":
            prepare_cpu = 0.0  # its kernels start on arrival: in the arrival CPU
        return {
            "kind": kind,
            "students": students,
            "socket": results,
            "browser": browser_results,
            "arrival_cpu": arrival_cpu / students,
            "prepare_cpu": prepare_cpu / max(len(ready_kernels), 1) if kind == "served" else 0,
            "kernel_mb": statistics.median(memory) / 2**20 if memory else float("nan"),
            "server_mb": psutil.Process(server.proc.pid).memory_info().rss / 2**20,
        }
    finally:
        stop_guard.set()
        server.stop()


def _quantiles(values: list[float]) -> str:
    if not values:
        return "     -        -        -"
    values = sorted(values)
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return f"{statistics.median(values):6.2f} s {p90:6.2f} s {values[-1]:6.2f} s"


def report(run: dict) -> None:
    sockets, browsers = run["socket"], run["browser"]
    served = [s.served_s for s in sockets if not s.error]
    pages = [s.page_s for s in sockets if not s.error]
    failed = [s for s in [*sockets, *browsers] if s.error]
    n = run["students"]
    print(f"\n{run['kind']} Voilà, {n} student{'s' if n != 1 else ''} at once"
          f" ({len(sockets)} over websockets, {len(browsers)} in Chromium)")  # fmt: skip
    print("                         median      p90      max")
    print(f"  page arrived          {_quantiles(pages)}")
    print(f"  every state arrived   {_quantiles(served)}")
    if browsers:
        working = [b.served_s for b in browsers if not b.error]
        print(f"  Chromium: map + Play  {_quantiles(working)}")
    if sockets and not sockets[0].error:
        models = statistics.median([s.models for s in sockets if not s.error])
        state = statistics.median([s.state_bytes for s in sockets if not s.error]) / 1024
        print(f"  per student: {models:.0f} widget models, {state:.0f} KB of widget state")
    print(f"  CPU while the class arrives: {run['arrival_cpu']:.2f} s per student"
          + (f"; each pool kernel's CPU to get ready: {run['prepare_cpu']:.2f} s"
             if run["kind"] == "served" else ""))  # fmt: skip
    print(f"  memory: {run['kernel_mb']:.0f} MB per kernel, server {run['server_mb']:.0f} MB")
    for s in failed:
        print(f"  FAILED: {s.error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--servers", nargs="+", default=["served", "default"],
                        choices=["served", "default"])  # fmt: skip
    parser.add_argument("--notebook", type=Path, default=REPO / "examples" / "dashboard.ipynb")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jgw-workshop-"))
    env = isolated_jupyter_env(work / "home")
    notebook = args.notebook.resolve()
    print(f"{notebook.name}, {psutil.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB")  # fmt: skip
    for kind in args.servers:
        for n in args.students:
            report(run_class(kind, notebook, n, args.browsers, env, work))


if __name__ == "__main__":
    main()
