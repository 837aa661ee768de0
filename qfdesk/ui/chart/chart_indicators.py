"""The chart's indicators: specs, their values and their views, kept in step with the series.

Overlays go on the price plot; every other indicator gets its own pane below, x-linked.
Values cover the closed candles (the forming candle gets them when it closes).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg

from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import theme
from qfdesk.ui.chart.indicator_spec import IndicatorSpec, parse_spec
from qfdesk.ui.chart.indicator_values import IndicatorValues
from qfdesk.ui.chart.indicator_view import IndicatorView

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Entry:
    spec: IndicatorSpec
    values: IndicatorValues
    view: IndicatorView
    pane: pg.PlotItem | None


class ChartIndicators:
    """Adds, removes and configures indicators; recomputes them as candles close."""

    def __init__(
        self,
        price_plot: pg.PlotItem,
        add_pane: Callable[[], pg.PlotItem],
        remove_pane: Callable[[pg.PlotItem], None],
    ) -> None:
        self._price_plot = price_plot
        self._add_pane = add_pane
        self._remove_pane = remove_pane
        self._entries: dict[str, _Entry] = {}
        self._series: CandleSeries | None = None
        self._count = 0
        self._serial = 0
        self._overlay_key: tuple[int, int, int] | None = None
        self._overlay_extremes = (math.inf, -math.inf)
        self._panes_key: tuple[int, int, int] | None = None

    # ----- specs ------------------------------------------------------------------------------

    def specs(self) -> list[IndicatorSpec]:
        return [entry.spec for entry in self._entries.values()]

    def values(self, spec_id: str) -> IndicatorValues:
        return self._entries[spec_id].values

    def pane(self, spec_id: str) -> pg.PlotItem | None:
        return self._entries[spec_id].pane

    def view(self, spec_id: str) -> IndicatorView:
        return self._entries[spec_id].view

    def _parse(self, raw: Any) -> IndicatorSpec:
        taken = {entry.spec.color for entry in self._entries.values()}
        color = next((c for c in theme.LINE_COLORS if c not in taken), theme.LINE_COLORS[0])
        kind = raw.get("kind") if isinstance(raw, dict) else None
        spec = parse_spec(raw, id_=f"{kind}-{self._serial + 1}", color=color)
        if spec.id in self._entries:
            raise ValueError(f"an indicator with id {spec.id!r} is already on the chart")
        self._serial += 1
        return spec

    def add(self, raw: dict[str, Any]) -> str:
        """Add an indicator from a spec dict; returns its id. Raises ValueError/TypeError."""
        spec = self._parse(raw)
        self._install(spec)
        return spec.id

    def remove(self, spec_id: str) -> None:
        entry = self._entries.pop(spec_id, None)
        if entry is None:
            raise KeyError(f"no indicator {spec_id!r} on the chart")
        entry.view.remove()
        if entry.pane is not None:
            self._remove_pane(entry.pane)
        self._overlay_key = self._panes_key = None

    def configure(self, spec_id: str, raw: dict[str, Any]) -> None:
        """Replace an indicator's kind/params/colour, keeping its id and place."""
        if spec_id not in self._entries:
            raise KeyError(f"no indicator {spec_id!r} on the chart")
        old = self._entries[spec_id].spec
        spec = parse_spec({**raw, "id": spec_id}, id_=spec_id, color=old.color)
        order = list(self._entries)
        self.remove(spec_id)
        self._install(spec)
        for other in order[order.index(spec_id) + 1 :]:
            self._entries[other] = self._entries.pop(other)

    def set_specs(self, raws: list[Any]) -> list[str]:
        """Replace all indicators. Invalid specs are skipped; returns why, one line each."""
        for spec_id in list(self._entries):
            self.remove(spec_id)
        problems = []
        for raw in raws if isinstance(raws, list) else []:
            try:
                self.add(raw)
            except (TypeError, ValueError) as exc:
                problems.append(str(exc))
                log.warning("indicator spec %r skipped: %s", raw, exc)
        if not isinstance(raws, list):
            problems.append(f"indicator specs must be a list, got {type(raws).__name__}")
        return problems

    def _install(self, spec: IndicatorSpec) -> None:
        pane = None if spec.info.overlay else self._add_pane()
        view = IndicatorView(spec, pane if pane is not None else self._price_plot)
        values = IndicatorValues(spec)
        self._entries[spec.id] = _Entry(spec, values, view, pane)
        if self._series is not None:
            values.reset(self._series, self._count)
            view.show(values)
        self._overlay_key = self._panes_key = None

    # ----- data -------------------------------------------------------------------------------

    def reset(self, series: CandleSeries | None, count: int) -> None:
        """A new series: recompute everything over candles [0, count)."""
        self._series = series
        self._count = count if series is not None else 0
        self._overlay_key = self._panes_key = None
        for entry in self._entries.values():
            if series is None:
                entry.values.clear()
            else:
                entry.values.reset(series, count)
            entry.view.show(entry.values)

    def extend(self, count: int) -> None:
        """Candles up to ``count`` are closed now."""
        if self._series is None or count == self._count:
            return
        self._count = count
        self._overlay_key = self._panes_key = None
        for entry in self._entries.values():
            entry.values.extend(self._series, count)
            entry.view.show(entry.values, appended=True)

    @property
    def nbytes(self) -> int:
        return sum(e.values.nbytes for e in self._entries.values())

    # ----- view helpers -----------------------------------------------------------------------

    def overlay_extremes(self, lo: int, hi: int) -> tuple[float, float]:
        """Lowest and highest overlay value over candles [lo, hi) (cached per range)."""
        hi = min(hi, self._count)
        key = (lo, hi, self._count)
        if key != self._overlay_key:
            self._overlay_key = key
            low, high = math.inf, -math.inf
            for entry in self._entries.values():
                if entry.pane is None and hi > lo:
                    for column in entry.values.outputs().values():
                        part = column[lo:hi]
                        if np.isfinite(part).any():
                            low = min(low, float(np.nanmin(part)))
                            high = max(high, float(np.nanmax(part)))
            self._overlay_extremes = (low, high)
        return self._overlay_extremes

    def fit_panes(self, lo: int, hi: int) -> None:
        """Fit the y range of panes without a fixed range to their visible values."""
        hi = min(hi, self._count)
        key = (lo, hi, self._count)
        if key == self._panes_key:
            return
        self._panes_key = key
        for entry in self._entries.values():
            if entry.pane is None or entry.spec.info.y_range is not None or hi <= lo:
                continue
            parts = [c[lo:hi] for c in entry.values.outputs().values()]
            finite = [p for p in parts if np.isfinite(p).any()]
            if not finite:
                continue
            low = min(0.0, *(float(np.nanmin(p)) for p in finite))
            high = max(0.0, *(float(np.nanmax(p)) for p in finite))
            if high > low:
                entry.pane.vb.setYRange(low, high, padding=0.05)

    def readout(self, index: int, decimals: int) -> list[str]:
        """``TITLE value[ / value...]`` for each indicator at candle ``index``."""
        parts = []
        for entry in self._entries.values():
            values = entry.values.at(index)
            if not values:
                continue
            d = 2 if entry.spec.info.y_range is not None else decimals
            shown = " / ".join("-" if math.isnan(v) else f"{v:.{d}f}" for v in values.values())
            parts.append(f"{entry.spec.title} {shown}")
        return parts
