"""Checks on an output file the user names, before anything is written: the name, the folder, that it is no input.

Every problem raises ``SinkError`` with a message that says what to do.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from app.engine.paths import PathKind, UnusablePathError, path_kind, special_file_message


class SinkError(RuntimeError):
    """A sink cannot be opened or written."""


def check_output_path(path: Path) -> None:
    """Raise ``SinkError``, saying what to do, unless ``path`` names an .mp4 file that can be created in an existing
    folder this process may write to (a probe file is created and removed there)."""
    if path.name in ("", ".", ".."):
        raise SinkError("no output file given; give an .mp4 file, for example out.mp4")
    try:
        kind, folder_kind = path_kind(path), path_kind(path.parent)
    except UnusablePathError as error:
        raise SinkError(str(error)) from None
    if kind is PathKind.FOLDER:
        raise SinkError(f"{path} is a folder; give an .mp4 file in it, for example {path / 'out.mp4'}")
    if kind is PathKind.PIPE:  # a device is written like a file (and a full one says so when written)
        raise SinkError(special_file_message(path))
    if kind is PathKind.FILE and not os.access(path, os.W_OK):  # found out only after the whole run otherwise
        raise SinkError(f"cannot write {path}: the file exists and may not be changed; choose another name")
    if path.suffix.lower() != ".mp4":
        raise SinkError(f"output must be an .mp4 file, got {path.name}")
    folder = path.parent
    if folder_kind is not PathKind.FOLDER:
        raise SinkError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".greenroom-write-test-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise SinkError(f"cannot write to the folder {folder} ({reason}); choose a folder you can write to") from error


def check_not_an_input(output: Path, inputs: dict[str, Path | None]) -> None:
    """Raise ``SinkError`` if ``output`` is the same file as one of ``inputs`` (what each is called for the user, for
    example ``{"the input": ..., "the background video": ...}``; ``None`` entries are skipped).

    Compares the files themselves where both exist, so another spelling of the path, a symlink or a hard link to an
    input is caught too; writing there would destroy the input the output is made from.
    """
    for role, source in inputs.items():
        if source is None:
            continue
        try:
            same = output.exists() and source.exists() and os.path.samefile(output, source)
        except OSError:
            same = False
        if same or output.resolve() == source.resolve():
            raise SinkError(f"{output} is {role}; writing there would destroy it, so choose another output file")
