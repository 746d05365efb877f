"""The notes under the map, in one HTML widget: what the map holds, what its markers
mean, how to read the basins.

Each note is a section that its owner sets and clears on its own; the widget shows the
non-empty ones in a fixed order, each in a ``div`` with the section's CSS class. One
model for all of them: a page with many dashboards receives one note widget per map.

Example:
    >>> notes = MapNotes()
    >>> notes.set("basins", "two minima"); notes.set("held", "c = 0.5 held")
    >>> notes.widget.value
    '<div class="jgw-held-note">c = 0.5 held</div><div class="jgw-basins-legend">two minima</div>'
    >>> notes["basins"], notes["kinds"]
    ('two minima', '')
    >>> notes.set("held", ""); notes.set("basins", ""); notes.widget.value
    ''
"""

from __future__ import annotations

import ipywidgets

from ..looks import layout, style

#: The sections, in the order they are shown, with their CSS classes.
SECTIONS = {
    "held": "jgw-held-note",
    "kinds": "jgw-critical-legend",
    "basins": "jgw-basins-legend",
}


class MapNotes:
    """One HTML under the map whose sections (:data:`SECTIONS`) are set one by one.

    Example:
        >>> notes = MapNotes()
        >>> notes.set("kinds", "critical points: ◆ saddle"); notes["kinds"]
        'critical points: ◆ saddle'
    """

    def __init__(self) -> None:
        self.widget = ipywidgets.HTML(layout=layout(width="100%"), style=style(ipywidgets.HTML))
        self.widget.add_class("jgw-map-notes")
        self._sections: dict[str, str] = {}

    def __getitem__(self, section: str) -> str:
        """The HTML of ``section`` ('' when it is empty)."""
        self._check(section)
        return self._sections.get(section, "")

    def set(self, section: str, text: str) -> None:
        """Set ``section``'s HTML ('' clears it); the widget changes only if it must."""
        self._check(section)
        self._sections[section] = text
        value = "".join(
            f'<div class="{css}">{self._sections[name]}</div>'
            for name, css in SECTIONS.items()
            if self._sections.get(name)
        )
        if value != self.widget.value:
            self.widget.value = value

    @staticmethod
    def _check(section: str) -> None:
        if section not in SECTIONS:
            raise KeyError(f"no map note {section!r}: one of {', '.join(SECTIONS)}")
