"""The label audit (``python -m segmentation.tools.label_audit``) and what the reviewed list does to training and
evaluation."""

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from segmentation.tools.label_audit import LabelAgreement, is_suspect
from segmentation.tools.label_audit import main as audit_main
from segmentation.training.label_review import REVIEWED_WEB_PHOTOS
from segmentation.training.material import web_photo_split
from segmentation.training.sources import is_validation


def _copy_photos(data_root: Path, names: list[str], folder: Path) -> tuple[Path, Path]:
    images, masks = folder / "images", folder / "masks"
    images.mkdir(parents=True)
    masks.mkdir()
    source = data_root / "people" / "web_photos"
    for name in names:
        shutil.copy(source / "images" / f"{name}.jpg", images / f"{name}.jpg")
        shutil.copy(source / "masks" / f"{name}.png", masks / f"{name}.png")
    return images, masks


def test_suspect_needs_both_models_to_contradict_the_mask_and_agree_with_each_other() -> None:
    assert is_suspect(LabelAgreement("a", False, ours_vs_mask=0.40, teacher_vs_mask=0.50, ours_vs_teacher=0.90))
    assert not is_suspect(LabelAgreement("b", False, ours_vs_mask=0.95, teacher_vs_mask=0.30, ours_vs_teacher=0.30))
    assert not is_suspect(LabelAgreement("c", False, ours_vs_mask=0.50, teacher_vs_mask=0.55, ours_vs_teacher=0.60))


def test_every_reviewed_photo_exists_and_has_a_reason(data_root: Path) -> None:
    folder = data_root / "people" / "web_photos"
    for name, review in REVIEWED_WEB_PHOTOS.items():
        assert (folder / "images" / f"{name}.jpg").is_file() and (folder / "masks" / f"{name}.png").is_file()
        assert review.detail and review.fault.value in review.reason


def test_training_leaves_reviewed_masks_out_and_validation_keeps_them(data_root: Path) -> None:
    train, validation = web_photo_split(data_root, 0.2, max_side=32)
    all_train, all_validation = web_photo_split(data_root, 0.2, max_side=32, skip_reviewed=False)
    reviewed_train = {name for name in REVIEWED_WEB_PHOTOS if not is_validation(name, 0.2)}
    reviewed_held_out = set(REVIEWED_WEB_PHOTOS) - reviewed_train
    assert reviewed_train and reviewed_held_out  # the list has both kinds, so both branches are exercised
    assert {item.name for item in all_train} - {item.name for item in train} == reviewed_train
    assert [item.name for item in validation] == [item.name for item in all_validation]
    assert reviewed_held_out <= {item.name for item in validation}


@pytest.mark.slow
def test_audit_flags_a_wrong_mask_and_not_a_right_one(tmp_path: Path, data_root: Path, capsys) -> None:
    pytest.importorskip("ai_edge_litert")
    images, masks = _copy_photos(data_root, ["1", "10"], tmp_path)
    true_mask = cv2.imread(str(masks / "10.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(masks / "10.png"), np.roll(true_mask, true_mask.shape[1] // 2, axis=1))  # person moved aside
    sheet, numbers = tmp_path / "review.png", tmp_path / "agreement.json"
    code = audit_main(["--images", str(images), "--masks", str(masks), "--sheet", str(sheet), "--json", str(numbers)])
    assert code == 0
    rows = {row["name"]: row for row in json.loads(numbers.read_text())}
    assert rows["10"]["suspect"] and not rows["1"]["suspect"]
    assert "1 of 2 hand masks" in capsys.readouterr().out
    picture = cv2.imread(str(sheet))
    assert picture is not None and picture.shape[0] >= 160


@pytest.mark.slow
def test_evaluate_reports_the_split_without_reviewed_masks(
    tmp_path: Path, data_root: Path, random_model_spec: Path
) -> None:
    pytest.importorskip("ai_edge_litert")
    from segmentation.tools.evaluate import main as evaluate_main

    reviewed = next(iter(REVIEWED_WEB_PHOTOS))
    images, masks = _copy_photos(data_root, ["1", reviewed], tmp_path)
    numbers = tmp_path / "metrics.json"
    args = ["--images", str(images), "--masks", str(masks), "--spec", str(random_model_spec)]
    assert evaluate_main([*args, "--skip-reviewed", "--json", str(numbers)]) == 0
    results = json.loads(numbers.read_text())
    kept = next(row for row in results["per_photo"] if row["name"] == "1")
    assert results["photos"] == 2 and results["photos_without_reviewed"] == 1
    assert results["iou_ours_without_reviewed"] == pytest.approx(kept["iou"])
    assert results["boundary_f_teacher_without_reviewed"] == pytest.approx(kept["teacher_boundary_f"])
