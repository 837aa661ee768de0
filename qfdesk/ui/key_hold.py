"""Tells a fresh key press from a held key's auto-repeat, which QShortcut cannot.

Qt flags auto-repeat with ``QKeyEvent.isAutoRepeat()``, and QShortcut with auto-repeat off
drops the flagged events, but the flag is not always set: on X11 Qt recognises a repeat by
finding its press already queued behind the release, and when the press is not queued yet the
pair arrives as a real release and a real press. Measured on Xvfb holding Shift+W for 2 s:
between 1 and 32 of the ~35 repeats came unflagged, each one a new trade. The X server gives
both halves of such a pair the same timestamp, while a person needs far longer than
``REPEAT_PAIR_MS`` to release a key and press it again.
"""

from __future__ import annotations

REPEAT_PAIR_MS = 10


class KeyHold:
    """Which keys are held, fed with every press and release of one window.

    ``press`` is True only for the press that starts a hold: never for a flagged auto-repeat,
    a press of a key already held, or a press arriving with its release's timestamp.
    """

    def __init__(self) -> None:
        self._held: set[int] = set()
        self._released_at: dict[int, int] = {}

    def press(self, code: int, timestamp: int, auto_repeat: bool) -> bool:
        released = self._released_at.pop(code, None)
        if auto_repeat or code in self._held:
            self._held.add(code)
            return False
        self._held.add(code)
        return not _repeat_pair(released, timestamp)

    def release(self, code: int, timestamp: int, auto_repeat: bool) -> None:
        if auto_repeat:
            return
        self._held.discard(code)
        self._released_at[code] = timestamp

    def clear(self) -> None:
        """Forget everything: the releases of keys held now go to another window."""
        self._held.clear()
        self._released_at.clear()


def _repeat_pair(released: int | None, pressed: int) -> bool:
    """The press follows its release at once: one auto-repeat that Qt did not flag. Events
    without timestamps (0, only ever synthesized ones) are never taken for a pair."""
    if not released or not pressed:
        return False
    return 0 <= pressed - released <= REPEAT_PAIR_MS
