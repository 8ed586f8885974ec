"""Screenshots of "Learn my room" in the real window: the countdown, the state line in use, and not matching.

    xvfb-run -a python scripts/room_screenshots.py docs/

Writes ``learn-room-countdown.png``, ``learn-room-state.png`` and ``learn-room-not-matching.png`` into the folder. The
window streams the clip of ``scripts/room_clip.py`` (written to a temporary folder; it needs the data folder's
synthetic people) with a throw-away settings folder, clicks *Learn my room* as soon as frames flow, and grabs the
window during the countdown, once the person stands in front of the learned room, and after the camera has moved.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.engine.settings import SourceKind, SourceSpec
from app.ui import MainWindow, Services, SettingsStore
from app.ui.style import apply_theme

sys.path.insert(0, str(Path(__file__).resolve().parent))
import room_clip  # the clip writer beside this script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    app = QApplication([])
    apply_theme(app)
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "room-clip.mp4"
        room_clip.main([str(clip)])
        store = SettingsStore(QSettings(str(Path(folder) / "settings" / "greenroom.ini"), QSettings.Format.IniFormat))
        window = MainWindow(store, SourceSpec(kind=SourceKind.VIDEO, path=clip), services=Services(list_cameras=list))
        window.resize(1280, 800)
        window.show()

        def wait(seconds: float, until=lambda: False) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not until():
                app.processEvents()
                time.sleep(0.01)

        wait(60, lambda: window.preview.frames_shown >= 5)
        window.room_panel.learn.click()
        wait(0.5)
        window.grab().save(str(args.out / "learn-room-countdown.png"))
        frames = round((room_clip.EMPTY + room_clip.PERSON + room_clip.MOVED) * room_clip.FPS)

        def clip_seconds() -> float:
            """Where the clip is now (it loops), in seconds."""
            frame, _ = window.session.latest_frame()
            return (frame.index - 1) % frames / room_clip.FPS if frame is not None else 0.0

        person_in_view = room_clip.EMPTY + 3.0
        shots = (
            ("learn-room-state.png", lambda: window.room_panel.state.text() == "Room: in use", person_in_view),
            ("learn-room-not-matching.png", lambda: "not matching" in window.room_panel.state.text(), 0.0),
        )
        for name, ready, after in shots:
            wait(60, ready)
            wait(60, lambda after=after: clip_seconds() >= after)  # the person in front of the learned room
            window.grab().save(str(args.out / name))
            print(f"{name}: {window.room_panel.state.text()}")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
