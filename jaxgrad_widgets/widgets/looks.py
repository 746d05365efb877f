"""Shared looks: one Layout (and one style) per look, for every widget that has it.

Every ipywidgets control comes with a Layout model and most with a style model of its
own, and a page receives (and a Voilà server relays to each student) every one of
them: a dashboard carried some sixty layouts, most of them alike. Here each look is one
model for the whole kernel, shared by every widget that has it, in every dashboard.

Shared looks are never closed with a dashboard (:func:`is_shared`) and never change: a
change would restyle every widget that has them, so it is refused. A widget whose
layout changes (one shown and hidden) takes its own ``ipywidgets.Layout()``.

Example:
    >>> import ipywidgets
    >>> wide = layout(width="100%")
    >>> wide is layout(width="100%"), is_shared(wide), is_shared(ipywidgets.Layout())
    (True, True, False)
    >>> labels = style(ipywidgets.FloatSlider, description_width="110px")
    >>> labels is style(ipywidgets.IntSlider, description_width="110px"), type(labels).__name__
    (True, 'SliderStyle')
    >>> wide.width = "50%"
    Traceback (most recent call last):
    ...
    AttributeError: a shared look cannot change (width): give the widget a Layout of its own
"""

from __future__ import annotations

from typing import Any, TypeVar

import bqplot
import ipywidgets

Look = TypeVar("Look", bound=ipywidgets.Widget)

#: The shared instances, by kind and settings.
_SHARED: dict[tuple[type, tuple[tuple[str, Any], ...]], ipywidgets.Widget] = {}


def _key(value: Any) -> Any:
    """A hashable form of a setting (dicts and lists, as ``grid_template_areas`` or a
    style's ``font`` may be)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_key(v) for v in value)
    return value


def _refuse(change: dict[str, Any]) -> None:
    raise AttributeError(
        f"a shared look cannot change ({change['name']}): give the widget a Layout of its own"
    )


def _shared(kind: type[Look], settings: dict[str, Any]) -> Look:
    key = (kind, _key(settings))
    look = _SHARED.get(key)
    if look is None or look.comm is None:  # made anew if something closed it after all
        look = kind(**settings)
        # Its synced settings only: closing it (at the kernel's exit) changes its comm.
        look.observe(_refuse, names=[name for name in look.keys if not name.startswith("_")])
        _SHARED[key] = look
    return look  # type: ignore[return-value]


def layout(**settings: Any) -> ipywidgets.Layout:
    """The one Layout with these settings (``layout()``: the default look).

    Example:
        >>> layout() is layout(), layout(width="auto") is layout(width="auto")
        (True, True)
    """
    return _shared(ipywidgets.Layout, settings)


def style(widget_kind: type[ipywidgets.DOMWidget], **settings: Any) -> ipywidgets.Widget:
    """The one style, with these settings, for widgets of ``widget_kind`` (the style's
    own kind: a slider's ``SliderStyle``, an HTML's ``HTMLStyle``, ...).

    Example:
        >>> style(ipywidgets.HTML) is style(ipywidgets.HTML)
        True
    """
    return _shared(widget_kind.class_traits()["style"].klass, settings)


def tooltip(**settings: Any) -> bqplot.Tooltip:
    """The one bqplot Tooltip with these settings: each mark that has it shows its own
    points' fields in it.

    Example:
        >>> tooltip(fields=["name"]) is tooltip(fields=["name"])
        True
    """
    return _shared(bqplot.Tooltip, {"layout": layout(), **settings})


def figure_frame() -> dict[str, bqplot.LinearScale]:
    """A bqplot Figure's own ``scale_x`` and ``scale_y``, one shared scale for both.

    Every Figure otherwise makes two unit scales of its own, used only to place marks
    that have no scales (each figure's view ranges them to its own size). Ours all have
    scales, so one unit scale serves every figure, in both directions.

    Example:
        >>> frame = figure_frame()
        >>> frame["scale_x"] is frame["scale_y"] is figure_frame()["scale_x"]
        True
        >>> figure = bqplot.Figure(marks=[], **frame)
    """
    unit = _shared(bqplot.LinearScale, {"min": 0.0, "max": 1.0, "allow_padding": False})
    return {"scale_x": unit, "scale_y": unit}


def is_shared(widget: ipywidgets.Widget) -> bool:
    """Whether ``widget`` is a shared look (which no dashboard closes).

    Example:
        >>> is_shared(layout(height="10px")), is_shared(ipywidgets.HTML())
        (True, False)
    """
    return any(look is widget for look in _SHARED.values())
