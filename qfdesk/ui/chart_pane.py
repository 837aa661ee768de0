"""One chart of the chart grid with its header: asset picker, timeframe, indicators and the
LIVE / HISTORICAL tag of its own asset."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from qfdesk.engine.timeframes import TIMEFRAMES
from qfdesk.ui.asset_selector import AssetSelector
from qfdesk.ui.chart import ChartWidget
from qfdesk.ui.dark_theme import ACCENT, BORDER, DEMO, SELL, WARN, badge_style
from qfdesk.ui.indicators_menu import IndicatorsMenu
from qfdesk.ui.source_state import SourceState

DEFAULT_TIMEFRAME = 60
_STATE_COLORS = {SourceState.LIVE: DEMO, SourceState.HISTORICAL: WARN}


class ChartPane(QtWidgets.QFrame):
    """One chart with its header: asset picker, timeframe, indicators and the source tag."""

    pressed = QtCore.Signal()  # clicked anywhere on its chart: it takes the focus

    def __init__(
        self, index: int, chart: ChartWidget | None = None, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.index = index
        self.setObjectName(f"chartPane{index}")
        self.chart = chart if chart is not None else ChartWidget(self)
        self.asset = ""
        self.timeframe = DEFAULT_TIMEFRAME
        self.state = SourceState.DISCONNECTED
        self.assets = AssetSelector(self)
        self.assets.setMinimumWidth(170)
        self.timeframes = QtWidgets.QComboBox(self)
        for label, seconds in TIMEFRAMES.items():
            self.timeframes.addItem(label, seconds)
        self.indicators_menu = IndicatorsMenu(self.chart, self)
        indicators = QtWidgets.QToolButton(self)
        indicators.setText("Indicators \u25be")
        indicators.setMenu(self.indicators_menu)
        indicators.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.tag = QtWidgets.QLabel(self)
        self.tag.setObjectName("badge")
        self.header = QtWidgets.QWidget(self)
        header = QtWidgets.QHBoxLayout(self.header)
        header.setContentsMargins(4, 2, 4, 2)
        for widget in (self.assets, self.timeframes, indicators):
            header.addWidget(widget)
        header.addStretch(1)
        header.addWidget(self.tag)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.chart, 1)
        self.chart.graphics.viewport().installEventFilter(self)
        self.show_timeframe(DEFAULT_TIMEFRAME)
        self.show_state(SourceState.DISCONNECTED, "")
        self.set_framed(True, focused=False)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.MouseButtonPress:
            self.pressed.emit()
        return False

    def show_asset(self, symbol: str) -> None:
        self.asset = symbol
        self.assets.show_asset(symbol)

    def show_timeframe(self, seconds: int) -> None:
        self.timeframe = seconds
        self.timeframes.setCurrentIndex(self.timeframes.findData(seconds))

    def show_state(self, state: SourceState, why: str) -> None:
        """The LIVE / HISTORICAL tag; ``why`` (a refusal to stream) as its tooltip."""
        self.state = state
        self.tag.setText(state.value)
        self.tag.setStyleSheet(badge_style(_STATE_COLORS.get(state, SELL)))
        self.tag.setToolTip(why)

    def set_framed(self, framed: bool, focused: bool) -> None:
        """A frame round it in a grid (in the accent colour while it has the focus); none
        and no header of its own when it is the only chart."""
        colour = ACCENT if focused else BORDER
        frame = f"2px solid {colour}" if framed else "0"
        self.setStyleSheet(f"#{self.objectName()} {{ border: {frame}; }}")
        self.header.setVisible(framed)
