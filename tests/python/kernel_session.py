"""A real ipykernel for tests and benchmarks: start one, run cells the way a notebook does.

Example (not run here: it starts a kernel):
    with started_kernel() as client:
        run_cell(client, "print(1 + 1)", cell_id="cell-1")   # -> "2"
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import jupyter_client


@contextmanager
def started_kernel() -> Iterator[jupyter_client.BlockingKernelClient]:
    """A fresh python3 kernel and its client, shut down on exit."""
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_cell(client, code: str, cell_id: str | None = None, timeout: float = 600) -> str:
    """Execute ``code`` as the notebook cell ``cell_id`` (JupyterLab puts the id in the
    request's metadata); its printed output, stripped. A Python error raises."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    message = client.session.msg(
        "execute_request", content, metadata={"cellId": cell_id} if cell_id else {}
    )
    client.shell_channel.send(message)
    out = []
    while True:
        reply = client.get_iopub_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            continue
        kind, body = reply["msg_type"], reply["content"]
        if kind == "stream" and body["name"] == "stdout":
            out.append(body["text"])
        if kind == "error":
            raise RuntimeError("\n".join(body["traceback"]))
        if kind == "status" and body["execution_state"] == "idle":
            return "".join(out).strip()
