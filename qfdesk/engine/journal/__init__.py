"""The trade journal: every trade attempt, manual, automatic or paper, in one SQLite file.

- ``schema``: the file, its migrations and how it always opens;
- ``entries``: what is written (frozen dataclasses: an attempt, then updates to it);
- ``writer``: the one writer, on its own thread, so no caller waits on the disk;
- ``reader``: the rows of a period, filtered;
- ``figures``: trades, win rate with its 95% interval beside break-even, net, streaks,
  latency;
- ``export``: the rows as CSV.
"""

from qfdesk.engine.journal.entries import (
    Attempt,
    Decision,
    Outcome,
    Placed,
    Settled,
    Source,
    StrategyOrigin,
)
from qfdesk.engine.journal.schema import JournalError, journal_path

__all__ = [
    "Attempt",
    "Decision",
    "JournalError",
    "Outcome",
    "Placed",
    "Settled",
    "Source",
    "StrategyOrigin",
    "journal_path",
]
