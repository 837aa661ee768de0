"""Small units that read or act on the trading page; each returns a Result, never raises.

All are plain blocking functions: the desktop app runs them in an executor, off the GUI
thread. Import them from their modules (``qfdesk.browser.capabilities.trade_click``...).
"""
