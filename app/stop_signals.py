"""How Greenroom stops on a signal: Ctrl+C (SIGINT), ``kill`` (SIGTERM) and a closed terminal (SIGHUP) all end a run
the normal way (recordings finalised, settings saved), never by the process dying mid-write."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator

STOP_SIGNALS = tuple(name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))  # no SIGHUP on Windows


@contextlib.contextmanager
def on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Inside the block, each stop signal calls ``stop()``; the previous handlers come back afterwards."""
    previous = {name: signal.signal(getattr(signal, name), lambda *_: stop()) for name in STOP_SIGNALS}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def raise_keyboard_interrupt() -> None:
    """A ``stop`` for command-line runs: every stop signal then unwinds like Ctrl+C."""
    raise KeyboardInterrupt
