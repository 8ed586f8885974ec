"""Hidden staging files: an output is written beside its final name and moved into place only when complete.

Their names say whose they are: ``.greenroom-partial-PID-NAME.mp4`` (the process id of the run that writes it, and
the start of the output's own name). A run that was killed (``kill -9``, a power cut) cannot remove its staging file,
so each run removes the stale ones in its output folder: those whose process is gone and that nobody has written for
``STALE_AFTER_SECONDS``. Files of runs still going (on this machine, or on another one writing to a shared folder)
are left alone.

``run_uninterrupted`` runs clean-up work that a second Ctrl+C must not cut short.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psutil

STAGING_PREFIX = ".greenroom-partial-"
STALE_AFTER_SECONDS = 30.0  # a running writer touches its file many times a second
_NAME_PART = 40  # characters of the output's name kept in the staging name (the whole name may be near the limit)
# Our staging files, and the sound copy's own staging file beside one (``audio.copy_sound`` adds a dot).
_STAGING_NAME = re.compile(r"^\.?" + re.escape(STAGING_PREFIX) + r"(\d+)-.*\.mp4$")

T = TypeVar("T")


def staging_path(output: Path) -> Path:
    """The hidden file this process writes ``output`` to before moving it into place (same folder)."""
    return output.with_name(f"{STAGING_PREFIX}{os.getpid()}-{output.stem[:_NAME_PART]}{output.suffix}")


def remove_stale_staging(output: Path, *, now: float | None = None) -> list[Path]:
    """Remove, in ``output``'s folder, staging files left by runs that ended without cleaning up; return them.

    Also removes ``.NAME.partial.mp4`` for this very ``output``, the staging name earlier versions used. A file that
    cannot be removed (no permission) is left, without a word: it hides nothing and blocks nothing.
    """
    now = time.time() if now is None else now
    folder = output.parent
    removed: list[Path] = []
    try:
        candidates = [path for path in folder.iterdir() if path.name.startswith(".")]
    except OSError:
        return removed
    legacy = f".{output.stem}.partial{output.suffix}"
    for path in candidates:
        match = _STAGING_NAME.match(path.name)
        owner_gone = (
            match is not None and int(match.group(1)) != os.getpid() and not psutil.pid_exists(int(match.group(1)))
        )
        if not (owner_gone or path.name == legacy):
            continue
        try:
            if now - path.stat().st_mtime >= STALE_AFTER_SECONDS and path.is_file():
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def run_uninterrupted(work: Callable[[], T]) -> T:
    """Run ``work()`` to its end even when Ctrl+C (or a stop signal that raises ``KeyboardInterrupt``) comes during
    it, then raise that ``KeyboardInterrupt``; return what ``work`` returned, or raise what it raised.

    Signals reach Python only in the main thread, so the work runs in a helper thread while this one waits: a second
    Ctrl+C during a clean-up cannot cut the clean-up short and leave a partial file behind.
    """
    outcome: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error
        finally:
            done.set()

    helper = threading.Thread(target=target, name="greenroom-cleanup", daemon=True)
    interrupted = False
    while helper.ident is None:  # an interrupted start() may or may not have started the thread
        try:
            helper.start()
        except KeyboardInterrupt:
            interrupted = True
    # Not helper.join(): an interrupted join marks a thread that is still running as stopped (CPython 3.11), and the
    # clean-up would be abandoned at the next signal. An Event's wait can be interrupted and waited on again.
    while not done.is_set():
        try:
            done.wait()
        except KeyboardInterrupt:
            interrupted = True
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if interrupted:
        raise KeyboardInterrupt
    return outcome["value"]  # type: ignore[return-value]
