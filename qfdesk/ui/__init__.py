"""The desktop terminal (PySide6 + pyqtgraph).

Threads: the tail thread feeds the engine's Pipeline (``live_bridge``), the one place ticks
become candles; decoded events and the pipeline's market updates reach the GUI thread only
through a queued Qt signal, where ``market_model`` applies the updates to its copy of the
candles (for the chart, the trade panel and the auto-trader). Blocking work -- Chrome launch/attach, page capabilities (asset select,
trades), CSV history -- runs on worker threads or the bridge's executor, awaited through
qasync. Entry point: ``desktop.run_desktop`` (``qfdesk``, ``qfdesk --demo``).
"""
