"""The source list: a video file once shown stays in it while the app runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.settings import SourceKind, SourceSpec
from app.ui.source_panel import SourcePanel

pytestmark = pytest.mark.gui


def _entries(panel: SourcePanel) -> list[str]:
    return [panel.combo.itemText(index) for index in range(panel.combo.count())]


def test_a_video_file_stays_in_the_list_after_switching_away(qtbot, tmp_path: Path) -> None:
    demo = tmp_path / "demo.mp4"
    panel = SourcePanel(list_cameras=list, demo_clip=demo, pick_video=lambda _parent: None)
    qtbot.addWidget(panel)
    talk = SourceSpec(kind=SourceKind.VIDEO, path=tmp_path / "talk.mp4")
    panel.show_source(talk)  # as with --source talk.mp4
    panel.choose(SourceSpec(kind=SourceKind.VIDEO, path=demo))
    panel.refresh()  # the list is rebuilt each time it opens
    assert "talk.mp4" in _entries(panel)
    assert _entries(panel).count("talk.mp4") == 1
    panel.choose(talk)
    panel.refresh()
    assert _entries(panel).count("talk.mp4") == 1 and panel.combo.currentText() == "talk.mp4"
    assert _entries(panel)[-1].startswith("Video file")
