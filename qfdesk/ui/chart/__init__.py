"""The candle chart widget (pyqtgraph) the main window embeds."""

from qfdesk.ui.chart.chart_widget import ChartWidget
from qfdesk.ui.chart.markers import SignalMarker, TradeMarker, TradeResult

__all__ = ["ChartWidget", "SignalMarker", "TradeMarker", "TradeResult"]
