"""Base for items that draw only the visible bar range, from numpy, rebuilt only when needed.

A subclass builds its geometry for the visible x range plus one view width either side, so
small pan steps only repaint. When more than about 3 bars fall on one pixel, bars are merged
in groups of ``k`` (a power of two, aligned to multiples of ``k`` so groups do not shift while
panning). Segments and rectangles go to QPainter as numpy-filled QLineF/QRectF arrays (one
drawLines/drawRects call each): measured here, that is 2-3x faster than stroking the same
segments as one QPainterPath, and filling many rectangles as one path is ~40x slower still.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

MERGE_ABOVE_BARS_PER_PIXEL = 3.0


def group_size(bars_per_pixel: float) -> int:
    """Bars merged into one drawn bar: 1, or the power of two at or above bars_per_pixel."""
    if bars_per_pixel <= MERGE_ABOVE_BARS_PER_PIXEL:
        return 1
    return 1 << math.ceil(math.log2(bars_per_pixel))


def group_bounds(lo: int, hi: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets (from ``lo``) of each group's first and last bar, and each group's x centre."""
    firsts = np.arange(0, hi - lo, k)
    lasts = np.minimum(firsts + k, hi - lo) - 1
    return firsts, lasts, lo + (firsts + lasts) / 2.0


class Segments:
    """Vertical segments (x, y0) to (x, y1) in a QLineF array filled from numpy."""

    def __init__(self) -> None:
        self._array = internals.PrimitiveArray(QtCore.QLineF, 4)
        self.count = 0

    def set(self, x: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> None:
        self.count = x.shape[0]
        self._array.resize(self.count)
        lines = self._array.ndarray()
        lines[:, 0] = x
        lines[:, 1] = y0
        lines[:, 2] = x
        lines[:, 3] = y1

    def values(self) -> np.ndarray:
        """(count, 4) array of x0, y0, x1, y1."""
        return cast(np.ndarray, self._array.ndarray()[: self.count])

    def draw(self, painter: QtGui.QPainter) -> None:
        if self.count:
            painter.drawLines(*self._array.drawargs())


class Rects:
    """Rectangles 2*half wide centred on x, from ``bottom`` to ``top``, filled from numpy."""

    def __init__(self) -> None:
        self._array = internals.PrimitiveArray(QtCore.QRectF, 4)
        self.count = 0

    def set(self, x: np.ndarray, top: np.ndarray, bottom: np.ndarray, half: float) -> None:
        self.count = x.shape[0]
        self._array.resize(self.count)
        rects = self._array.ndarray()
        rects[:, 0] = x - half
        rects[:, 1] = bottom
        rects[:, 2] = 2 * half
        rects[:, 3] = top - bottom

    def values(self) -> np.ndarray:
        """(count, 4) array of left, bottom, width, height."""
        return cast(np.ndarray, self._array.ndarray()[: self.count])

    def draw(self, painter: QtGui.QPainter) -> None:
        if self.count:
            painter.drawRects(*self._array.drawargs())


class VisibleRangeItem(pg.GraphicsObject):
    """Merges and fills bars again when the view leaves what was built; appends new bars."""

    def __init__(self) -> None:
        super().__init__()
        self._built_range: tuple[int, int, int, bool] | None = None
        self._columns: tuple[np.ndarray, ...] = ()
        self.path_builds = 0
        self.appends = 0

    def length(self) -> int:
        """Number of bars the item can draw (x from 0 to length - 1)."""
        raise NotImplementedError

    def merge(self, lo: int, hi: int, k: int) -> tuple[np.ndarray, ...]:
        """Per drawn bar columns (x first) of bars [lo, hi) in groups of k (lo % k == 0)."""
        raise NotImplementedError

    def fill(self, columns: tuple[np.ndarray, ...], k: int, detailed: bool) -> None:
        """Turn merged columns into what ``draw`` paints."""
        raise NotImplementedError

    def draw(self, painter: QtGui.QPainter) -> None:
        raise NotImplementedError

    def detailed(self, k: int, bars_per_pixel: float) -> bool:
        """Whether bars are wide enough on screen for the detailed drawing (e.g. bodies)."""
        return False

    @property
    def built_range(self) -> tuple[int, int, int] | None:
        """(lo, hi, k) of what is built: bars [lo, hi) in groups of k."""
        return None if self._built_range is None else self._built_range[:3]

    def invalidate(self) -> None:
        """Drop what was built; the next paint builds again."""
        self._built_range = None
        self.update()

    def grown(self, old_length: int) -> None:
        """Bars were added after ``old_length``: if the built range reached the old end, merge
        only its last group onwards and append, instead of building it all again."""
        built = self._built_range
        if built is not None and built[1] >= old_length:
            lo, hi, k, detailed = built
            last_group = lo + ((hi - 1 - lo) // k) * k if hi > lo else lo
            keep = (last_group - lo) // k
            tail = self.merge(last_group, self.length(), k)
            self._columns = tuple(
                np.concatenate((old[:keep], new)) for old, new in zip(self._columns, tail)
            )
            self.fill(self._columns, k, detailed)
            self._built_range = (lo, self.length(), k, detailed)
            self.appends += 1
        self.update()

    def ensure_built(self, x0: float, x1: float, bars_per_pixel: float) -> None:
        n = self.length()
        k = group_size(bars_per_pixel)
        detailed = self.detailed(k, bars_per_pixel)
        lo, hi = max(0, math.floor(x0)), min(n, math.ceil(x1) + 1)
        hi = max(lo, hi)
        width = max(hi - lo, 1)
        built = self._built_range
        if (
            built is not None
            and built[2:] == (k, detailed)
            and built[0] <= lo
            and hi <= built[1]
            and built[1] - built[0] <= 4 * width + 64
        ):
            return
        lo = (max(0, lo - width) // k) * k
        hi = min(n, hi + width)
        self._columns = self.merge(lo, hi, k)
        self.fill(self._columns, k, detailed)
        self._built_range = (lo, hi, k, detailed)
        self.path_builds += 1

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        view = self.getViewBox()
        if view is None or not self.length():
            return
        (x0, x1), _ = view.viewRange()
        self.ensure_built(x0, x1, view.viewPixelSize()[0])
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        self.draw(painter)


class ValuesItem(VisibleRangeItem):
    """A VisibleRangeItem drawing one value per bar (a view of an indicator output)."""

    include_zero = False  # keep 0 inside the bounds (histograms)

    def __init__(self) -> None:
        super().__init__()
        self._values = np.empty(0)
        self._low, self._high = math.inf, -math.inf

    @property
    def values(self) -> np.ndarray:
        return self._values

    def length(self) -> int:
        return self._values.shape[0]

    def merge(self, lo: int, hi: int, k: int) -> tuple[np.ndarray, ...]:
        """x, then each group's smallest and largest value (NaNs ignored)."""
        values = self._values[lo:hi]
        if k == 1 or hi <= lo:
            return np.arange(lo, max(lo, hi), dtype=np.float64), values, values
        firsts, _, centres = group_bounds(lo, hi, k)
        return centres, np.fmin.reduceat(values, firsts), np.fmax.reduceat(values, firsts)

    def set_values(self, values: np.ndarray, appended: bool = False) -> None:
        """Show ``values``; ``appended``: the same values as before plus new ones at the end
        (only those are scanned, and only the last built group is merged again)."""
        old = self._values.shape[0]
        appended = appended and values.shape[0] >= old
        fresh = values[old:] if appended else values
        self.prepareGeometryChange()
        if not appended:
            self._low, self._high = (0.0, 0.0) if self.include_zero else (math.inf, -math.inf)
        if fresh.shape[0] and not np.isnan(fresh).all():
            self._low = min(self._low, float(np.nanmin(fresh)))
            self._high = max(self._high, float(np.nanmax(fresh)))
        self._values = values
        if appended:
            self.grown(old)
        else:
            self.invalidate()

    def boundingRect(self) -> QtCore.QRectF:
        n = self._values.shape[0]
        if not n or not math.isfinite(self._low):
            return QtCore.QRectF()
        return QtCore.QRectF(-1.0, self._low, n + 1.0, max(self._high - self._low, 1e-12))
