"""How Greenroom stops on a signal: Ctrl+C (SIGINT), ``kill`` (SIGTERM) and a closed terminal (SIGHUP) all end a run
the normal way (recordings finalised, settings saved), never by the process dying mid-write.

Only the first stop signal acts. Further ones, while the run cleans up or after it ended, are ignored: a second Ctrl+C
used to cut the clean-up short and leave a partial file, or to print a traceback while the interpreter shut down.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator

STOP_SIGNALS = tuple(name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))  # no SIGHUP on Windows


@contextlib.contextmanager
def on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Inside the block, the first stop signal calls ``stop()`` and later ones do nothing. Afterwards the previous
    handlers come back, unless a stop was asked for: the program is then ending, and stop signals stay ignored."""
    requested = False

    def on_signal(*_: object) -> None:
        nonlocal requested
        if requested:
            return
        requested = True
        stop()

    previous = {name: signal.signal(getattr(signal, name), on_signal) for name in STOP_SIGNALS}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), signal.SIG_IGN if requested else handler)


def raise_keyboard_interrupt() -> None:
    """A ``stop`` for command-line runs: every stop signal then unwinds like Ctrl+C."""
    raise KeyboardInterrupt
