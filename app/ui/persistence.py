"""Settings that survive a restart (QSettings "Greenroom"/"Greenroom"): source, background, controls, device, window.

Values are read back defensively: a missing, stale or hand-edited entry falls back to the default instead of
stopping the app. Tests pass their own ``QSettings`` on a temporary INI file.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QByteArray, QLockFile, QSettings

from app.engine.settings import (
    DEFAULT_BLUR_STRENGTH,
    BackgroundKind,
    BackgroundSpec,
    QualityMode,
    RenderSettings,
    SourceKind,
    SourceSpec,
)
from segmentation import Device

ORGANIZATION = "Greenroom"
APPLICATION = "Greenroom"


def default_qsettings() -> QSettings:
    """The user's settings store (native format: ~/.config/Greenroom/Greenroom.conf, the registry, a plist)."""
    return QSettings(ORGANIZATION, APPLICATION)


def source_to_text(spec: SourceSpec) -> str:
    if spec.kind is SourceKind.CAMERA:
        return f"camera:{spec.camera}"
    if spec.kind is SourceKind.VIDEO:
        return f"video:{spec.path}"
    return "test"


def source_from_text(text: str) -> SourceSpec | None:
    """Inverse of ``source_to_text``; None for anything unrecognised."""
    if text == "test":
        return SourceSpec(kind=SourceKind.TEST_PATTERN)
    kind, _, value = text.partition(":")
    if kind == "camera" and value:
        return SourceSpec(kind=SourceKind.CAMERA, camera=int(value) if value.isdigit() else value)
    if kind == "video" and value:
        return SourceSpec(kind=SourceKind.VIDEO, path=Path(value))
    return None


class SettingsStore:
    """Typed access to the persisted values.

    With two windows open, the last one closed would overwrite everything the other saved. ``claim()`` takes a lock
    file beside the settings; a store that could not claim it is ``read_only`` and its window does not save.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else default_qsettings()
        self._lock: QLockFile | None = None
        self.read_only = False

    def claim(self) -> bool:
        """Become the store that saves (True), or find another running window holds the settings (False).

        The lock is released when this process ends; a lock left by a process that crashed is taken over.
        """
        path = Path(self._settings.fileName()).with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(path))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self.read_only = not self._lock.tryLock(0)
        return not self.read_only

    def sync(self) -> None:
        self._settings.sync()

    def rooms_folder(self) -> Path:
        """Where learned room pictures are kept: ``rooms`` beside the settings file (``~/.config/Greenroom/rooms``)."""
        return Path(self._settings.fileName()).parent / "rooms"

    # --- source -------------------------------------------------------------------------------------------------
    def last_source(self) -> SourceSpec | None:
        spec = source_from_text(str(self._settings.value("source/last", "")))
        if spec is None or spec.kind is not SourceKind.CAMERA:
            return spec
        try:
            width = int(self._settings.value("source/width", 1280))
            height = int(self._settings.value("source/height", 720))
            fps = float(self._settings.value("source/fps", 30.0))
        except (TypeError, ValueError):
            return spec
        if not (1 <= width <= 7680 and 1 <= height <= 4320 and math.isfinite(fps) and 1.0 <= fps <= 240.0):
            return spec  # a hand-edited size or rate: ask the camera for the defaults instead
        return SourceSpec(kind=SourceKind.CAMERA, camera=spec.camera, width=width, height=height, fps=fps)

    def save_source(self, spec: SourceSpec) -> None:
        self._settings.setValue("source/last", source_to_text(spec))
        self._settings.setValue("source/width", spec.width)
        self._settings.setValue("source/height", spec.height)
        self._settings.setValue("source/fps", spec.fps)

    # --- render settings ----------------------------------------------------------------------------------------
    def render_settings(self) -> RenderSettings:
        """The saved controls and background, or the defaults for whatever is missing or invalid."""
        defaults = RenderSettings()
        try:
            return RenderSettings(
                background=self.background(),
                mirror=self._bool("render/mirror", defaults.mirror),
                only_me=self._bool("render/only_me", defaults.only_me),
                threshold=float(self._settings.value("render/threshold", defaults.threshold)),
                feather=float(self._settings.value("render/feather", defaults.feather)),
                smoothing=float(self._settings.value("render/smoothing", defaults.smoothing)),
                quality=QualityMode(str(self._settings.value("render/quality", defaults.quality.value))),
            )
        except (TypeError, ValueError):
            return RenderSettings(background=self.background())

    def save_render_settings(self, settings: RenderSettings) -> None:
        self._settings.setValue("render/mirror", settings.mirror)
        self._settings.setValue("render/only_me", settings.only_me)
        self._settings.setValue("render/threshold", settings.threshold)
        self._settings.setValue("render/feather", settings.feather)
        self._settings.setValue("render/smoothing", settings.smoothing)
        self._settings.setValue("render/quality", settings.quality.value)
        self.save_background(settings.background)

    def background(self) -> BackgroundSpec:
        """The saved background; a blur or a picture (whose transparent parts show the blur) with the saved strength."""
        blur = BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=self.blur_strength())  # also the fallback
        try:
            kind = BackgroundKind(str(self._settings.value("background/kind", BackgroundKind.BLUR.value)))
        except ValueError:
            return blur
        if kind is BackgroundKind.NONE:  # the mask view is a separate switch, never the saved background
            return blur
        path_text = str(self._settings.value("background/path", ""))
        color = _parse_color(str(self._settings.value("background/color", "")))
        if kind in (BackgroundKind.IMAGE, BackgroundKind.VIDEO):  # the strength shows through transparent parts
            return (
                BackgroundSpec(kind=kind, path=Path(path_text), blur_strength=blur.blur_strength) if path_text else blur
            )
        if kind is BackgroundKind.COLOR and color is not None:
            return BackgroundSpec(kind=kind, color=color)
        if kind is BackgroundKind.BLUR:
            return blur
        return BackgroundSpec(kind=kind)

    def save_background(self, spec: BackgroundSpec) -> None:
        self._settings.setValue("background/kind", spec.kind.value)
        self._settings.setValue("background/path", str(spec.path) if spec.path else "")
        self._settings.setValue("background/color", "#{:02X}{:02X}{:02X}".format(*spec.color))

    def custom_color(self) -> tuple[int, int, int] | None:
        """The colour last picked for the Colour background (whichever background is active), or None if never."""
        picked = _parse_color(str(self._settings.value("gallery/color", "")))
        if picked is not None:
            return picked
        saved = self.background()  # settings written before the colour had its own key
        return saved.color if saved.kind is BackgroundKind.COLOR else None

    def save_custom_color(self, rgb: tuple[int, int, int]) -> None:
        self._settings.setValue("gallery/color", "#{:02X}{:02X}{:02X}".format(*rgb))

    def blur_strength(self) -> float:
        """The strength last set for the Blur background (whichever background is active), in [0, 1]."""
        try:
            value = float(self._settings.value("gallery/blur_strength", DEFAULT_BLUR_STRENGTH))
        except (TypeError, ValueError):
            return DEFAULT_BLUR_STRENGTH
        return min(max(value, 0.0), 1.0) if math.isfinite(value) else DEFAULT_BLUR_STRENGTH

    def save_blur_strength(self, strength: float) -> None:
        self._settings.setValue("gallery/blur_strength", strength)

    def mask_view(self) -> bool:
        return self._bool("view/mask", False)

    def save_mask_view(self, on: bool) -> None:
        self._settings.setValue("view/mask", on)

    # --- device, gallery, window --------------------------------------------------------------------------------
    def device(self) -> str:
        """The compute device last picked: CPU or CUDA, or AUTO when never picked (or the entry is not a device)."""
        value = str(self._settings.value("device", Device.AUTO.value))
        return Device(value) if value in set(Device) else Device.AUTO

    def save_device(self, device: str) -> None:
        self._settings.setValue("device", device)

    def user_backgrounds(self) -> list[Path]:
        """The user's own gallery files that still exist."""
        return [path for path in self._listed_backgrounds() if path.is_file()]

    def missing_user_backgrounds(self) -> list[Path]:
        """The user's own gallery files that are not there now (a drive unplugged, a file moved)."""
        return [path for path in self._listed_backgrounds() if not path.is_file()]

    def _listed_backgrounds(self) -> list[Path]:
        value = self._settings.value("gallery/files", [])
        texts = [value] if isinstance(value, str) else list(value or [])
        return [Path(text) for text in texts if text]

    def save_user_backgrounds(self, paths: list[Path]) -> None:
        self._settings.setValue("gallery/files", [str(path) for path in paths])

    def geometry(self) -> QByteArray | None:
        value = self._settings.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_geometry(self, geometry: QByteArray) -> None:
        self._settings.setValue("window/geometry", geometry)

    def _bool(self, key: str, default: bool) -> bool:
        value = self._settings.value(key, default)
        if isinstance(value, str):  # INI files give text back
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)


def _parse_color(text: str) -> tuple[int, int, int] | None:
    digits = text.lstrip("#")
    if len(digits) != 6:
        return None
    try:
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    except ValueError:
        return None
