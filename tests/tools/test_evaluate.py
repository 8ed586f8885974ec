"""``python -m segmentation.tools.evaluate`` on a few real photos with a random-weights model (numbers are not judged,
the report and the sheet are)."""

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from segmentation.tools.evaluate import main
from segmentation.training.material import negative_test_photos


@pytest.mark.slow
def test_evaluate_reports_ours_and_the_teacher(tmp_path: Path, data_root: Path, random_model_spec: Path, capsys):
    pytest.importorskip("ai_edge_litert")
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for path in sorted((data_root / "people" / "web_photos" / "images").glob("*.jpg"))[:3]:
        shutil.copy(path, images / path.name)
        shutil.copy(data_root / "people" / "web_photos" / "masks" / f"{path.stem}.png", masks / f"{path.stem}.png")
    clip = tmp_path / "still.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10, (256, 144))
    photo = cv2.resize(cv2.imread(str(next(images.iterdir()))), (256, 144))
    for _ in range(4):
        writer.write(photo)
    writer.release()
    sheet, numbers = tmp_path / "worst.png", tmp_path / "metrics.json"
    code = main(
        [
            "--images",
            str(images),
            "--masks",
            str(masks),
            "--spec",
            str(random_model_spec),
            "--clip",
            str(clip),
            "--sheet",
            str(sheet),
            "--json",
            str(numbers),
            "--negatives",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "mean IoU" in out and "boundary F (3 px)" in out and "static-edge flicker" in out
    assert "glow (3-10 px out)" in out and "person-free: over 3%" in out
    results = json.loads(numbers.read_text())
    assert results["photos"] == 3 and results["flicker_frames"] == 4
    assert 0.5 < results["iou_teacher"] <= 1.0  # the teacher is a real model: it finds the people
    for key in ("iou_ours", "boundary_f_ours", "boundary_f_teacher", "flicker_ours", "flicker_teacher"):
        assert 0.0 <= results[key] <= 1.0
    for key in ("glow_ours", "glow_teacher", "negative_area_ours", "negative_max_teacher"):
        assert 0.0 <= results[key] <= 1.0
    assert results["negative_photos"] == len(negative_test_photos(data_root)) > 10
    assert results["negative_area_teacher"] <= results["negative_max_teacher"]
    per_photo = results["per_photo"]
    assert sorted(row["name"] for row in per_photo) == sorted(path.stem for path in images.iterdir())
    assert [row["iou"] for row in per_photo] == sorted(row["iou"] for row in per_photo)  # worst first
    assert abs(np.mean([row["teacher_iou"] for row in per_photo]) - results["iou_teacher"]) < 1e-9
    picture = cv2.imread(str(sheet))
    assert picture is not None and picture.shape[0] >= 3 * 160 and np.ptp(picture) > 0


def test_evaluate_refuses_folders_without_pairs(tmp_path: Path, random_model_spec: Path, data_root: Path) -> None:
    pytest.importorskip("ai_edge_litert")
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    with pytest.raises(ValueError, match="no image"):
        main(
            ["--images", str(tmp_path / "images"), "--masks", str(tmp_path / "masks"), "--spec", str(random_model_spec)]
        )
