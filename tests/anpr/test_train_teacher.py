"""Learning without forgetting in the OCR trainer (scripts/train_ocr.py ``--teacher``).

Needs the training environment (torch: docs/anpr.md); skipped without it.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="training environment only (torch)")

from scripts.anpr.ocr_model import IMG_H, IMG_W, PlateOCR, encode  # noqa: E402
from scripts.train_ocr import Teacher  # noqa: E402


def _teacher(tmp_path, model: PlateOCR) -> Teacher:
    path = tmp_path / "teacher.pt"
    torch.save({"model": model.state_dict()}, path)
    return Teacher(path, weight=1.0)


def _batch(labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.rand(len(labels), 1, IMG_H, IMG_W)
    return x, torch.tensor([encode(s) for s in labels])


def test_a_student_equal_to_its_teacher_costs_nothing(tmp_path):
    torch.manual_seed(1)
    model = PlateOCR().eval()
    teacher = _teacher(tmp_path, model)
    x, y = _batch(["29C12345", "51G12345"])
    assert float(teacher.loss(model(x), x, y)) == pytest.approx(0.0, abs=1e-6)


def test_only_vietnamese_samples_are_held_to_the_teacher(tmp_path):
    torch.manual_seed(1)
    teacher = _teacher(tmp_path, PlateOCR().eval())
    torch.manual_seed(2)
    student = PlateOCR().eval()
    x, y = _batch(["桂A12345", "云B6789挂"])
    assert float(teacher.loss(student(x), x, y)) == 0.0
    x, y = _batch(["桂A12345", "29C12345"])
    assert float(teacher.loss(student(x), x, y)) > 0.0
