"""A widget's life: the kernel it runs in (its event loop, its cells) and closing it.

Re-running a notebook cell replaces the dashboards its earlier run made.

ipywidgets keeps every widget alive until it is closed, and running a cell again
replaces its output on the page but not its widgets in the kernel: a workshop that
re-runs a dashboard's cell a hundred times would hold a hundred dashboards, their
figures and their compiled kernels. JupyterLab and Notebook 7 send the id of the cell
being run with each request (``cellId`` in its metadata); a dashboard made by a cell
closes the ones the same cell made in an earlier run. Widgets made anywhere else (a
script, a callback, Voilà's single run) are left alone.

Set ``REPLACE_ON_RERUN = False`` to keep every dashboard open until it is closed.

Example:
    >>> import ipywidgets
    >>> box = ipywidgets.VBox()
    >>> replace_earlier_runs(box)  # outside a kernel: nothing to replace
    >>> box.comm is not None
    True
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import ipywidgets

from .looks import is_shared

#: Whether a dashboard closes those that an earlier run of its cell made.
REPLACE_ON_RERUN = True

# cell id -> (the request that last ran it, the widgets that run made)
_MADE_BY_CELL: dict[str, tuple[str, list[weakref.ref[ipywidgets.Widget]]]] = {}


def running_kernel() -> Any:
    """The Jupyter kernel (ipykernel) running this code, or None (a script, a test).

    Example:
        >>> running_kernel() is None  # a doctest runs in no kernel
        True
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return getattr(get_ipython(), "kernel", None)


def kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the Jupyter kernel running this code, or None (a script, a test).

    Only a kernel's loop goes round between messages; another library's loop that is
    merely registered as running (Playwright's sync API keeps one) would never run a
    slow descent's next chunk, so outside a kernel the descent finishes at once.

    Example:
        >>> kernel_loop() is None  # a doctest runs in no kernel
        True
    """
    if running_kernel() is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def current_cell_run() -> tuple[str, str] | None:
    """(cell id, request id) of the notebook cell being run, or None outside one.

    Example:
        >>> current_cell_run() is None  # a doctest is not a notebook cell
        True
    """
    kernel = running_kernel()
    parent: Any = kernel.get_parent() if kernel is not None else None
    if not parent or parent.get("header", {}).get("msg_type") != "execute_request":
        return None
    cell = (parent.get("metadata") or {}).get("cellId")
    if not isinstance(cell, str) or not cell:
        return None
    return cell, parent["header"].get("msg_id", "")


def replace_earlier_runs(widget: ipywidgets.Widget) -> None:
    """Close the widgets an earlier run of the current cell made; remember ``widget``.

    Example:
        >>> replace_earlier_runs(ipywidgets.HTML())  # outside a cell, it only returns
    """
    run = current_cell_run() if REPLACE_ON_RERUN else None
    if run is None:
        return
    cell, request = run
    last_request, made = _MADE_BY_CELL.get(cell, (request, []))
    if last_request != request:
        for ref in made:
            earlier = ref()
            if earlier is not None and earlier is not widget:
                earlier.close()
        made = []
    made.append(weakref.ref(widget))
    _MADE_BY_CELL[cell] = (request, made)


def close_tree(widget: ipywidgets.Widget) -> None:
    """Close a widget and every widget its traits hold (figures, marks, scales, layouts).

    Example:
        >>> box = ipywidgets.VBox([ipywidgets.IntSlider()])
        >>> slider = box.children[0]; close_tree(box); slider.comm is None
        True
    """
    seen: set[int] = set()
    pending = [widget]
    while pending:
        current = pending.pop()
        if id(current) in seen or is_shared(current):  # a shared look outlives dashboards
            continue
        seen.add(id(current))
        for name in current.keys:
            value = getattr(current, name, None)
            items = value if isinstance(value, list | tuple) else (
                value.values() if isinstance(value, dict) else [value]
            )  # fmt: skip
            pending.extend(v for v in items if isinstance(v, ipywidgets.Widget))
        current.close()
