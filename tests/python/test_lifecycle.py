"""Re-running a notebook cell closes the dashboards its earlier run made (real kernel)."""

import pytest
from kernel_session import run_cell, started_kernel

SETUP = """
import gc
from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.functions import goldfield, polynomial
kept = []
"""


@pytest.fixture(scope="module")
def kernel():
    with started_kernel() as client:
        yield client


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
