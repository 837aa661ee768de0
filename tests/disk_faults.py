"""Real write failures that also happen to root (who ignores file permissions)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

needs_file_size_limit = pytest.mark.skipif(
    not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file size limits"
)


@contextmanager
def disk_full_at(size: int) -> Iterator[None]:
    """No file of this process can grow past ``size`` bytes (RLIMIT_FSIZE binds root too):
    a write that crosses the limit is cut short by the kernel and the next fails (EFBIG), as
    when a disk fills. SIGXFSZ is ignored meanwhile so the process is not killed."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
