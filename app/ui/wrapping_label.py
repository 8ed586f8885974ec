"""A word-wrapped label that never widens its panel: long file names break after ``_`` and ``-``.

A plain word-wrapped QLabel is at least as wide as its longest word, and a file name such as
``pixabay_thoughtful_35590_640x360.mp4`` is one word: in a side panel of fixed width it pushes everything to the right
out of sight. This label lets such words break after their separators (with zero-width spaces) and asks for no width
of its own; a word with no separator that is still too wide is clipped, never the panel.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

_ZERO_WIDTH_SPACE = "\N{ZERO WIDTH SPACE}"
_SEPARATOR = re.compile(r"([_\-/\\])(?=\S)")


def breakable(text: str) -> str:
    """``text`` with a zero-width space after each ``_ - / \\`` that is followed by more of the word, where a line may
    then break (not after a dot, so an extension stays with the rest of its name)."""
    return _SEPARATOR.sub(lambda match: match.group(1) + _ZERO_WIDTH_SPACE, text)


class WrappingLabel(QLabel):
    """``set_full_text(text)`` shows ``text`` word-wrapped, long words breakable (``breakable``); ``full_text()`` is
    the text as given, also the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # the panel sets the width

    def full_text(self) -> str:
        return self._full_text

    def set_full_text(self, text: str) -> None:
        self._full_text = text
        self.setText(breakable(text))
        self.setToolTip(text)
