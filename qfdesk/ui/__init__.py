"""The desktop terminal (PySide6 + pyqtgraph).

Threads: the tail thread feeds the engine's Pipeline (``live_bridge``); decoded events reach
the GUI thread only through a queued Qt signal, where ``market_model`` keeps its own candle
book for the chart. Blocking work -- Chrome launch/attach, page capabilities (asset select,
trades), CSV history -- runs on worker threads or the bridge's executor, awaited through
qasync. Entry point: ``desktop.run_desktop`` (``qfdesk``, ``qfdesk --demo``).
"""
