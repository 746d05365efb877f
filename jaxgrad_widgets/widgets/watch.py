"""KernelWatch: a dashboard without a Player still says when its kernel stops.

The Player's front end covers its dashboard with a notice when the kernel behind it
dies or restarts (``js/connection.ts``): the controls would no longer answer. A
dashboard without a Player (the derivative explorer, the formula box before its
first formula) takes a KernelWatch among its children: invisible, it does the same.

Example:
    >>> import ipywidgets
    >>> box = ipywidgets.VBox([ipywidgets.HTML("a dashboard"), KernelWatch()])
    >>> type(box.children[1]).__name__
    'KernelWatch'
"""

from __future__ import annotations

import anywidget

from .player import bundle


class KernelWatch(anywidget.AnyWidget):
    """Invisible: covers the dashboard around it with a notice when its kernel stops.

    Example:
        >>> KernelWatch()._esm.startswith("var") or len(KernelWatch()._esm) > 100
        True
    """

    _esm = bundle("watch.js")
