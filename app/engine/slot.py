"""A single latest-value slot for handing frames between threads: writers overwrite, readers take the newest.

A slow reader never makes a queue grow: a value that was overwritten before anyone took it counts as dropped.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Thread-safe one-element mailbox with a drop counter."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._value: T | None = None
        self._fresh = False
        self._version = 0
        self.dropped = 0
        self._closed = False

    def put(self, value: T) -> None:
        """Store ``value``, replacing (and counting as dropped) one that nobody took."""
        with self._condition:
            if self._fresh:
                self.dropped += 1
            self._value = value
            self._fresh = True
            self._version += 1
            self._condition.notify_all()

    def take(self, timeout: float | None = None) -> T | None:
        """Wait up to ``timeout`` seconds for a value not taken yet; return it, or None on timeout or close."""
        with self._condition:
            if not self._condition.wait_for(lambda: self._fresh or self._closed, timeout):
                return None
            if not self._fresh:
                return None
            self._fresh = False
            return self._value

    def peek(self) -> tuple[T | None, int]:
        """The newest value (taken or not) and its version number, without waiting; for display and pacing."""
        with self._condition:
            return self._value, self._version

    def close(self) -> None:
        """Wake every waiting reader; later ``take`` calls return whatever is fresh, else None at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def reopen(self) -> None:
        """Open again for a new run, empty: ``peek`` gives None (not the last run's value) until the first ``put``.
        The version number goes on counting, so a reader that remembers the last one it saw still sees new values."""
        with self._condition:
            self._closed = False
            self._fresh = False
            self._value = None
