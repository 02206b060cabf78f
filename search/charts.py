"""Bar charts drawn on the server as plain SVG geometry (no script, no
inline style, so they fit the site's Content-Security-Policy and read
without JavaScript); the template renders the shapes."""
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 220
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 44, 28, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    title: str  # the tooltip: period and value


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list
    ticks: list  # (y, label) of the value axis
    labels: list  # (x, label) of the periods shown under the bars
    baseline: float


def bar_chart(points, unit="", label_every=None):
    """A Chart of (label, value) points, values from 0 up."""
    if not points:
        return None
    top = max(v for _l, v in points) or 1
    plot_w, plot_h = WIDTH - MARGIN_LEFT - 8, HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_w / len(points)
    gap = min(step * 0.2, 4)
    base = MARGIN_TOP + plot_h
    bars = []
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        bars.append(Bar(round(MARGIN_LEFT + i * step + gap / 2, 2), round(base - h, 2), round(step - gap, 2),
                        round(h, 2), label, value, f"{label}：{shown}{unit}"))
    every = label_every or max(1, round(len(points) / 12))
    labels = [(round(b.x + b.width / 2, 2), b.label) for i, b in enumerate(bars) if i % every == 0]
    ticks = [(round(base - plot_h * k / 4, 2), f"{top * k / 4:.3g}") for k in range(5)]
    return Chart(WIDTH, HEIGHT, bars, ticks, labels, base)
