"""Errors of the live browser path. Each says what happened and what to do about it."""

from __future__ import annotations


class ChromeError(RuntimeError):
    """Base of every Chrome / chromedriver problem a trader may have to fix."""


class ChromeNotFoundError(ChromeError):
    pass


class PortInUseError(ChromeError):
    pass


class ProfileLockedError(ChromeError):
    pass


class ChromeStartError(ChromeError):
    pass


class ChromedriverMissingError(ChromeError):
    pass


class ChromedriverMismatchError(ChromeError):
    pass


class AttachError(ChromeError):
    pass


class PlatformTabNotFoundError(ChromeError):
    pass
