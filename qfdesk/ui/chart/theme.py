"""Dark chart palette shared by the chart's items (one place to restyle the chart)."""

from __future__ import annotations

BACKGROUND = "#131722"
FOREGROUND = "#b2b5be"
GRID_ALPHA = 0.12
UP = "#26a69a"
DOWN = "#ef5350"
CROSSHAIR = "#9598a1"

# Default line colours offered to indicators, in order of use.
LINE_COLORS = ("#f0b90b", "#42a5f5", "#ab47bc", "#ff7043", "#66bb6a", "#ec407a", "#26c6da")

# Trade marker colours by result.
RESULT_COLORS = {
    "pending": "#f0b90b",
    "won": "#26a69a",
    "lost": "#ef5350",
    "refund": "#9598a1",
}
SIGNAL_UP = "#42a5f5"
SIGNAL_DOWN = "#ff7043"
MARKER_OUTLINE = "#e0e3eb"
SECONDARY_LINE = "#ff7043"
LEVEL_LINE = "#5d606b"
