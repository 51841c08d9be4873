"""What every chart shares: headless matplotlib with fixed settings, and a caption naming the sources.

Its own module so the snapshot charts (`charts`) and the series charts (`timeseries`) both read
it without reading each other.
"""
from __future__ import annotations


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display), with the settings every chart uses."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 110, "font.size": 9, "svg.hashsalt": "rare-earth-supply"})
    return plt


def caption(fig, sources: list[str]) -> None:
    """The chart's sources, bottom left: every chart names the documents it draws."""
    fig.text(0.01, 0.01, "Sources: " + ", ".join(sorted(set(sources))) + " (see docs/sources.md)",
             fontsize=7, ha="left", va="bottom", wrap=True)
