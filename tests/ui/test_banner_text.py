"""A banner is a sentence: the engine's lower-case messages start with a capital there, file names stay as they are."""

from __future__ import annotations

import pytest

from app.ui.banner import sentence_case


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("cannot use anim.gif as a background", "Cannot use anim.gif as a background"),
        ("camera 57 could not be opened; retrying", "Camera 57 could not be opened; retrying"),
        ("the virtual camera stopped: its device went away", "The virtual camera stopped: its device went away"),
        ("gone.png was not found at /home/me", "gone.png was not found at /home/me"),
        ("v4l2loopback is not loaded", "v4l2loopback is not loaded"),
        ("--source is for the window", "--source is for the window"),
        ("No camera found", "No camera found"),
        ("", ""),
    ],
)
def test_a_banner_starts_with_a_capital_unless_it_starts_with_a_name(message: str, shown: str) -> None:
    assert sentence_case(message) == shown
