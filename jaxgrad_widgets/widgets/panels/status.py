"""The status panel: a row per start, the one-line message, and a progress bar.

Two HTML widgets: the table, and the line (with the progress bar, an HTML
``<progress>``, above the message while a slow run is under way).

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
from ..status import StartStatus, progress_html, status_line_html, status_table_html


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
        #: How far a slow run is, from 0 to 1 (None: no run under way, no bar).
        self.progress: float | None = None
        self._said = ""

    def widgets(self) -> list[ipywidgets.Widget]:
        """Its parts, top to bottom."""
        return [self.table, self.line]

    def show_rows(self, rows: Sequence[StartStatus], names: Sequence[str]) -> None:
        self.table.value = status_table_html(rows, names)

    def say(self, message: str, is_error: bool) -> None:
        self._said = status_line_html(message, is_error)
        self._draw()

    def show_progress(self, fraction: float | None) -> None:
        """A fraction from 0 to 1 shows the bar; None hides it."""
        self.progress = None if fraction is None else float(fraction)
        self._draw()

    def _draw(self) -> None:
        bar = progress_html(self.progress) if self.progress is not None else ""
        if self.line.value != bar + self._said:
            self.line.value = bar + self._said
