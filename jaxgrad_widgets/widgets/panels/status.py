"""The status panel: a row per start, the one-line message, and a progress bar.

Example:
    >>> from jaxgrad_widgets.widgets.status import StartStatus
    >>> p = StatusPanel()
    >>> p.show_rows([StartStatus(0, "#d62728", (1.0, 1.0), 1.0, 0.0, "converged at step 98",
    ...                          "ok")], ("x", "y"))
    >>> "converged at step 98" in p.table.value
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets

from ..looks import layout, style
from ..status import StartStatus, status_line_html, status_table_html


class StatusPanel:
    """Where each start ended, what the dashboard last said, how far a slow run is.

    Example:
        >>> p = StatusPanel(); p.say("steps must be at least 1", is_error=True)
        >>> "jgw-error" in p.line.value
        True
    """

    def __init__(self) -> None:
        self.table = ipywidgets.HTML(layout=layout(width="100%"), style=style(ipywidgets.HTML))
        self.line = ipywidgets.HTML(layout=layout(width="100%"), style=style(ipywidgets.HTML))
        # A layout of its own: shown and hidden as runs take time (show_progress).
        self.progress = ipywidgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, description="computing",
            layout=ipywidgets.Layout(width="100%", max_width="460px", display="none"),
            style=style(ipywidgets.FloatProgress),
        )  # fmt: skip
        self.progress.add_class("jgw-progress")

    def widgets(self) -> list[ipywidgets.Widget]:
        """Its parts, top to bottom."""
        return [self.table, self.progress, self.line]

    def show_rows(self, rows: Sequence[StartStatus], names: Sequence[str]) -> None:
        self.table.value = status_table_html(rows, names)

    def say(self, message: str, is_error: bool) -> None:
        self.line.value = status_line_html(message, is_error)

    def show_progress(self, fraction: float | None) -> None:
        """A fraction from 0 to 1 shows the bar; None hides it."""
        if fraction is None:
            if self.progress.layout.display != "none":
                self.progress.layout.display = "none"
            return
        self.progress.value = fraction
        self.progress.layout.display = None
