"""A trader's strategy files read off the GUI thread: the strategies file at startup, and a
file added in the auto-trader's dialog.

Describing a file takes a worker process and up to the registry's load budget (10 s) per
file, so it runs on a thread of its own (:meth:`StrategyRegistry.read_config`,
:meth:`StrategyRegistry.find_in_file`, which change nothing in the registry); what was found
comes back through a Qt signal and is registered on the GUI thread, the only one that uses
the registry. Then ``fileRead(path, names)`` or ``fileFailed(path, message)``, and
``configRead(problems)`` once the strategies file is applied; ``config_loading`` is true
until then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6 import QtCore

from qfdesk.engine.strategies import StrategyError, StrategyRegistry
from qfdesk.engine.strategies.registry import ConfigRead, Found

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class StrategyFiles(QtCore.QObject):
    fileRead = QtCore.Signal(object, object)  # path, the names of its strategies
    fileFailed = QtCore.Signal(object, str)  # path, why it cannot be used
    configRead = QtCore.Signal(object)  # the problems of the strategies file (a list)
    # from the reading threads
    _found = QtCore.Signal(object, object)  # path, Found or the StrategyError's text
    _config_found = QtCore.Signal(object)  # ConfigRead

    def __init__(self, registry: StrategyRegistry, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.config_loading = False
        self.reading: set[Path] = set()
        """The files being read now."""
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self._found.connect(self._on_found, queued)
        self._config_found.connect(self._on_config, queued)

    def read_config(self, path: Path) -> None:
        """Read the strategies file at ``path`` and its strategy files in the background."""
        self.config_loading = True

        def read() -> ConfigRead:
            try:
                return self.registry.read_config(path)
            except Exception as exc:  # a bug: said, and the auto-trader is not kept waiting
                log.exception("reading the strategies file %s failed", path)
                problem = f"the strategies file {path} could not be read: {exc}"
                return ConfigRead(path, (), {}, (problem,))

        self._run(read, self._config_found.emit)

    def read_file(self, path: Path) -> None:
        """Read a trader's strategy file in the background."""
        self.reading.add(path)

        def read() -> Found | str:
            try:
                return self.registry.find_in_file(path)
            except StrategyError as exc:
                return str(exc)
            except Exception as exc:  # a bug: said in the dialog rather than never answered
                log.exception("reading the strategy file %s failed", path)
                return f"{path.name} could not be read: {type(exc).__name__}: {exc}"

        self._run(read, lambda found: self._found.emit(path, found))

    def _run(self, work: Callable[[], _T], answer: Callable[[_T], None]) -> None:
        def run() -> None:
            result = work()
            try:
                answer(result)
            except RuntimeError:  # this object is gone: the window closed meanwhile
                log.debug("strategy files: the answer came after the window closed")

        threading.Thread(target=run, name="qfdesk-strategy-files", daemon=True).start()

    def _on_found(self, path: Path, found: Any) -> None:
        self.reading.discard(path)
        if isinstance(found, Found):
            self.fileRead.emit(path, self.registry.add_found(found))
        else:
            self.fileFailed.emit(path, str(found))

    def _on_config(self, read: ConfigRead) -> None:
        problems = self.registry.apply_config(read)
        self.config_loading = False
        self.configRead.emit(problems)
