"""Strategies: closed candles in, signals out; the same code live and in backtests."""

from qfdesk.engine.strategies.base import Param, Signal, SignalArrays, Strategy, StrategyError, Vote
from qfdesk.engine.strategies.registry import BUILTINS, StrategyRegistry
from qfdesk.engine.strategies.runner import StrategyRunner

__all__ = [
    "BUILTINS",
    "Param",
    "Signal",
    "SignalArrays",
    "Strategy",
    "StrategyError",
    "StrategyRegistry",
    "StrategyRunner",
    "Vote",
]
