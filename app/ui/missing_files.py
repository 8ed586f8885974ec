"""What the window says when a background's file is not where the gallery or the settings expect it.

The user's own pictures and videos stay where they are on the disk; a drive unplugged or a file moved or deleted
makes one disappear. The gallery then falls back to the blur, and these messages say which file and what happens now.
"""

from __future__ import annotations

from pathlib import Path

from app.engine.settings import BackgroundSpec


def joined_names(paths: list[Path]) -> str:
    """``a.png``, ``a.png and b.png`` or ``a.png, b.png and c.png``."""
    names = [path.name for path in paths]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def picked_file_missing(path: Path, fallback: BackgroundSpec) -> str:
    """A background picked in the gallery whose file has gone since it was added."""
    return f"{path.name} was not found at {path.parent}; using {fallback.describe()} instead"


def saved_background_missing(path: Path, fallback: BackgroundSpec) -> str:
    """At start-up: the background in use at the last quit is not there."""
    return (
        f"Your background {path.name} was not found at {path.parent}; using {fallback.describe()} until you pick "
        "another"
    )


def gallery_files_missing(paths: list[Path]) -> str:
    """At start-up: some of the user's gallery files are not there; they are kept in the settings for their return."""
    if len(paths) == 1:
        return f"{paths[0].name} is no longer in the gallery: the file was not found. It comes back when the file does."
    return (
        f"{joined_names(paths)} are no longer in the gallery: the files were not found. They come back when the files "
        "do."
    )
