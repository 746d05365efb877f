"""The colour scheme: start colours a teacher's class can tell apart, on every background."""

import itertools
import math

import matplotlib
import pytest

from jaxgrad_widgets.widgets.palette import MAP_SCHEME, START_COLORS

#: The plot backgrounds: white, and JupyterLab's dark theme behind an output (the
#: figures are transparent, so the notebook's own background shows).
BACKGROUNDS = {"light": "#ffffff", "dark": "#212121"}


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(_linear(int(color[i : i + 2], 16) / 255) for i in (1, 3, 5))


def luminance(color: str) -> float:
    """WCAG relative luminance."""
    r, g, b = _rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def lab(color: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65)."""
    r, g, b = _rgb(color)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def difference(a: str, b: str) -> float:
    """CIE76 colour difference."""
    return math.dist(lab(a), lab(b))


@pytest.mark.parametrize("theme", sorted(BACKGROUNDS))
@pytest.mark.parametrize("color", START_COLORS)
def test_every_start_colour_stands_out_on_the_plot_in_both_themes(color, theme):
    assert contrast(color, BACKGROUNDS[theme]) >= 3.0


@pytest.mark.parametrize("color", START_COLORS)
def test_every_start_colour_stands_out_on_the_map(color):
    shading = [matplotlib.colors.to_hex(matplotlib.colormaps[MAP_SCHEME](i / 255))
               for i in range(256)]  # fmt: skip
    assert min(difference(color, shade) for shade in shading) >= 25


def test_start_colours_differ_from_each_other():
    assert len(set(START_COLORS)) == 16
    closest = min(difference(a, b) for a, b in itertools.combinations(START_COLORS, 2))
    assert closest >= 28
