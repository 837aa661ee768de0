"""The trader's other files, checked at start so the window can say what it did not use.

The strategies file and the selectors override file live beside the settings file. Each
one that cannot be used is kept aside by its reader (a copy next to it) and named here; the
app goes on with the built-in strategies or selectors.
"""

from __future__ import annotations

from pathlib import Path

from qfdesk.browser.selectors import SELECTORS_FILE, SelectorError, Selectors
from qfdesk.engine.strategies.config_file import STRATEGIES_FILENAME, read_strategies_file


def config_file_problems(folder: Path) -> tuple[str, ...]:
    """Why the strategies or selectors file in ``folder`` is not used (empty: both fine)."""
    found = []
    strategies = read_strategies_file(folder / STRATEGIES_FILENAME)
    if strategies.problem is not None:
        found.append(strategies.problem)
    try:
        selectors = Selectors.load(user_path=folder / SELECTORS_FILE)
    except (SelectorError, OSError) as error:
        found.append(
            f"the built-in page selectors cannot be read ({error}); trading will not work. "
            "Reinstall QuantumFlux Desk."
        )
    else:
        if selectors.problem is not None:
            found.append(selectors.problem)
    return tuple(found)
