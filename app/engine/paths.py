"""What a path the user gave names, told as a value: the first check at every boundary where a file name comes in.

``Path.is_file()`` and ``Path.is_dir()`` answer False for a missing file but raise ``OSError`` for a name too long
for the file system or a folder that may not be looked into, and they call a FIFO or a device "not a file", which the
callers then reported as "not found". ``path_kind`` tells all of these apart.
"""

from __future__ import annotations

import errno
import os
import stat
from enum import Enum
from pathlib import Path


class PathKind(Enum):
    FILE = "file"
    FOLDER = "folder"
    MISSING = "missing"
    PIPE = "pipe"  # a FIFO (named pipe) or a socket: reading it blocks, and a video cannot seek in it
    DEVICE = "device"  # a character or block device (/dev/zero, a disk): no picture or video to read

    @property
    def special(self) -> bool:
        """True for what is not a file, a folder or nothing: never an input Greenroom can read."""
        return self in (PathKind.PIPE, PathKind.DEVICE)


class UnusablePathError(ValueError):
    """A path that cannot even be looked up (its name is too long, a folder on the way may not be entered, ...).
    The message names the path and says what to do."""


def path_kind(path: Path) -> PathKind:
    """What ``path`` names (following symbolic links); raises ``UnusablePathError`` when that cannot be told."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return PathKind.MISSING
    except OSError as error:
        raise UnusablePathError(f"cannot use {_shortened(path)}: {describe_os_error(error)}") from None
    except ValueError:  # a NUL character in the name
        raise UnusablePathError(f"cannot use {_shortened(path)}: its name contains a NUL character") from None
    if stat.S_ISREG(mode):
        return PathKind.FILE
    if stat.S_ISDIR(mode):
        return PathKind.FOLDER
    return PathKind.DEVICE if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else PathKind.PIPE


def file_problem(path: Path, *, folder: str, missing: str | None) -> str | None:
    """Why ``path`` cannot be read as a file, in the caller's words for a ``folder`` and a ``missing`` file (None:
    the caller says that itself, later); None when it can. A name the file system refuses and a pipe or a device
    have messages of their own."""
    try:
        kind = path_kind(path)
    except UnusablePathError as error:
        return str(error)
    if kind is PathKind.FOLDER:
        return folder
    if kind.special:
        return special_file_message(path)
    if kind is PathKind.MISSING:
        return missing
    return None


def special_file_message(path: Path) -> str:
    """The message for a path whose kind is ``special``."""
    return f"{_shortened(path)} is not a regular file but a pipe, a device or a socket; give a file"


def describe_os_error(error: OSError) -> str:
    """A short reason for an ``OSError`` about a path, with what to do for the common ones."""
    if error.errno == errno.ENAMETOOLONG:
        return f"the name is too long for the file system (at most {name_limit()} bytes a name); use a shorter name"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; choose a file and folder you may use"
    if error.errno == errno.ELOOP:
        return "it is a loop of symbolic links"
    return error.strerror or str(error)


def name_limit(folder: Path | None = None) -> int:
    """How many bytes a file name may have in ``folder`` (255 where the system does not say)."""
    try:
        return os.pathconf(folder or ".", "PC_NAME_MAX")  # POSIX
    except (AttributeError, OSError, ValueError):
        return 255


def _shortened(path: Path, keep: int = 60) -> str:
    """``path`` for a message: a name of hundreds of characters would bury the message."""
    text = str(path)
    return text if len(text) <= keep else f"{text[: keep // 2]}...{text[-keep // 2 :]}"


_CONTROL_CHARACTERS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)}


def printable(text: str) -> str:
    """``text`` with control characters written as ``\\xNN``: a file name may hold an escape sequence or a line break,
    which would otherwise reach the terminal raw (colours, a cleared screen, a message split over two lines)."""
    return text.translate(_CONTROL_CHARACTERS)
