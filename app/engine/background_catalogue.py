"""The rules of the background gallery that need no Qt: which files it takes, how it names them, when two backgrounds
are the same one, and what it says about the files it cannot take. The window's gallery (``app/ui/gallery.py``)
draws the thumbnails and keeps the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.engine.settings import IMAGE_SUFFIXES, VIDEO_SUFFIXES, BackgroundKind, BackgroundSpec, accepted_file_types

FILE_KINDS = (BackgroundKind.IMAGE, BackgroundKind.VIDEO)


def same_background(first: BackgroundSpec, second: BackgroundSpec) -> bool:
    """True if ``first`` and ``second`` name the same gallery background: two specs of one picture or video match
    whatever blur strength they carry (it only tells how their transparent parts show the room)."""
    if first.kind is second.kind and first.kind in FILE_KINDS:
        return first.path == second.path
    return first == second


def takes_file_type(path: Path) -> bool:
    """True if ``path``'s suffix is one of a picture or a video the gallery takes."""
    return path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES


def display_name(path: Path) -> str:
    """The label under a file's thumbnail: its name without the suffix, ``-`` and ``_`` as spaces, capitalised."""
    label = path.stem.replace("-", " ").replace("_", " ")
    return label[:1].upper() + label[1:]


@dataclass
class Admission:
    """Files offered to the gallery, sorted: ``new`` (resolved paths of a type it takes, not in it yet, in order),
    and the names of those of another type (``wrong_type``)."""

    new: list[Path] = field(default_factory=list)
    wrong_type: list[str] = field(default_factory=list)


def admit(paths: Iterable[Path], known: set[Path]) -> Admission:
    """Sort ``paths`` against the gallery's ``known`` files (resolved): duplicates are dropped without a word."""
    admission, seen = Admission(), set(known)
    for path in paths:
        resolved = Path(path).expanduser().resolve()
        if resolved in seen:
            continue
        if not takes_file_type(resolved):
            admission.wrong_type.append(resolved.name)
            continue
        admission.new.append(resolved)
        seen.add(resolved)
    return admission


def wrong_type_message(names: list[str]) -> str:
    return f"cannot use {', '.join(names)} as a background: it can be {accepted_file_types()}"


def unreadable_message(names: list[str]) -> str:
    return f"cannot use {', '.join(names)} as a background: the file is missing, damaged or not a picture or video"
