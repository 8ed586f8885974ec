"""Paired comparison of two ``evaluate --json`` reports."""

import json
from pathlib import Path

import pytest

from segmentation.tools.compare import main, paired_difference


def _report(path: Path, scores: dict[str, tuple[float, float]], pixel_budget: int = 36864) -> Path:
    rows = [{"name": name, "iou": iou, "boundary_f": boundary_f} for name, (iou, boundary_f) in scores.items()]
    path.write_text(json.dumps({"pixel_budget": pixel_budget, "per_photo": rows}))
    return path


def test_pairing_removes_the_spread_between_photos() -> None:
    base = {"a": 0.2, "b": 0.6, "c": 0.9, "d": 0.95}
    candidate = {"a": 0.21, "b": 0.61, "c": 0.91, "d": 0.94}
    result = paired_difference(base, candidate, margin=0.005)
    assert result.mean_difference == pytest.approx(0.005)
    # differences 0.01, 0.01, 0.01, -0.01: sample s.d. 0.01, so s.e. 0.005, far below the photos' own spread
    assert result.standard_error == pytest.approx(0.005)
    assert (result.better, result.worse, result.photos) == (3, 1, 4)
    assert result.base_mean == pytest.approx(0.6625) and result.candidate_mean == pytest.approx(0.6675)


def test_different_photos_are_refused() -> None:
    with pytest.raises(ValueError, match="different photos"):
        paired_difference({"a": 0.5, "b": 0.5}, {"a": 0.5, "c": 0.5})


def test_the_command_prints_both_metrics(tmp_path: Path, capsys) -> None:
    base = _report(tmp_path / "base.json", {"a": (0.5, 0.4), "b": (0.9, 0.8), "c": (0.7, 0.6)})
    candidate = _report(tmp_path / "new.json", {"a": (0.6, 0.4), "b": (0.9, 0.8), "c": (0.7, 0.5)})
    assert main([str(base), str(candidate)]) == 0
    out = capsys.readouterr().out
    assert "3 photos, pixel budget 36864" in out
    iou_line = next(line for line in out.splitlines() if line.startswith("IoU"))
    assert "+0.0333" in iou_line and iou_line.endswith("1/0")
    boundary_line = next(line for line in out.splitlines() if line.startswith("boundary F"))
    assert "-0.0333" in boundary_line and boundary_line.endswith("0/1")


def test_reports_of_other_budgets_or_without_photos_are_refused(tmp_path: Path, capsys) -> None:
    base = _report(tmp_path / "base.json", {"a": (0.5, 0.4), "b": (0.9, 0.8)})
    larger = _report(tmp_path / "large.json", {"a": (0.5, 0.4), "b": (0.9, 0.8)}, pixel_budget=65536)
    with pytest.raises(SystemExit) as exit_info:
        main([str(base), str(larger)])
    assert exit_info.value.code == 2 and "pixel budgets differ" in capsys.readouterr().err
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"iou_ours": 0.9}))
    with pytest.raises(SystemExit):
        main([str(base), str(bare)])
    assert "no per-photo scores" in capsys.readouterr().err
