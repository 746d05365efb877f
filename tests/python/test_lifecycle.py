"""Re-running a notebook cell closes the dashboards its earlier run made (real kernel)."""

import jupyter_client
import pytest

SETUP = """
import gc
from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.functions import goldfield, polynomial
kept = []
"""


@pytest.fixture(scope="module")
def kernel():
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_cell(client, code, cell_id=None):
    """Execute ``code`` as the notebook's cell ``cell_id`` would (JupyterLab's metadata)."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    metadata = {"cellId": cell_id} if cell_id else {}
    message = client.session.msg("execute_request", content, metadata=metadata)
    client.shell_channel.send(message)
    out = []
    while True:
        reply = client.get_iopub_msg(timeout=120)
        if reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            continue
        kind, body = reply["msg_type"], reply["content"]
        if kind == "stream":
            out.append(body["text"])
        if kind == "error":
            raise AssertionError("\n".join(body["traceback"]))
        if kind == "status" and body["execution_state"] == "idle":
            return "".join(out).strip()


def test_rerunning_a_cell_closes_its_earlier_dashboards(kernel):
    run_cell(kernel, SETUP)
    cell = "kept.append((GradDescentWidget(goldfield, steps=20), DerivativeWidget(polynomial)))"
    run_cell(kernel, cell, "cell-a")
    run_cell(kernel, "kept.append(GradDescentWidget(polynomial, steps=20))", "cell-b")
    assert run_cell(kernel, "print([w.comm is None for w in kept[0]])") == "[False, False]"
    run_cell(kernel, cell, "cell-a")  # the same cell again
    assert run_cell(kernel, "print([w.comm is None for w in kept[0]])") == "[True, True]"
    # The new run's dashboards and the other cell's stay open.
    assert run_cell(kernel, "print([w.comm is None for w in kept[2]], kept[1].comm is None)") == (
        "[False, False] False"
    )


def test_several_dashboards_of_one_run_stay_open_and_other_runs_are_untouched(kernel):
    run_cell(kernel, SETUP)
    cell = "kept.extend(GradDescentWidget(goldfield, steps=20) for _ in range(3))"
    run_cell(kernel, cell, "cell-c")
    assert run_cell(kernel, "print(sum(w.comm is None for w in kept))") == "0"
    # A request without a cell id (a console, a script run by the kernel) replaces nothing.
    run_cell(kernel, cell)
    assert run_cell(kernel, "print(sum(w.comm is None for w in kept))") == "0"
    run_cell(kernel, "import jaxgrad_widgets.widgets.lifecycle as l; l.REPLACE_ON_RERUN = False")
    run_cell(kernel, cell, "cell-c")
    assert run_cell(kernel, "print(sum(w.comm is None for w in kept))") == "0"
    run_cell(kernel, "l.REPLACE_ON_RERUN = True")
    run_cell(kernel, cell, "cell-c")
    assert run_cell(kernel, "print(sum(w.comm is None for w in kept))") == "3"
