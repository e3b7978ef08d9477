"""Cutting a slim detector out of a trained one (scripts/anpr/det_prune.py) and distilling it
(scripts/train_detector.py ``--slim``).

Needs the training environment (torch: docs/anpr.md); skipped without it.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="training environment only (torch)")

from scripts.anpr.det_model import SLIM_WIDTHS, WIDTHS, PlateDet  # noqa: E402
from scripts.anpr.det_prune import prune  # noqa: E402
from scripts.train_detector import step_loss  # noqa: E402


def _trained_looking() -> PlateDet:
    """A detector whose BatchNorms have distinct scales and statistics, in eval mode."""
    torch.manual_seed(0)
    model = PlateDet()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.1, 2.0)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_keeping_every_channel_computes_the_same_function():
    model = _trained_looking()
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        for a, b in zip(model(x), prune(model, WIDTHS).eval()(x)):
            assert torch.allclose(a, b, atol=1e-5)


def test_the_slim_detector_keeps_the_strongest_channels_and_runs():
    model = _trained_looking()
    slim = prune(model, SLIM_WIDTHS).eval()
    assert slim.widths == SLIM_WIDTHS
    assert sum(p.numel() for p in slim.parameters()) < 0.6 * sum(p.numel() for p in model.parameters())
    strongest = model.s8[1][1].weight.abs().argsort(descending=True)[: SLIM_WIDTHS[1]].sort().values
    assert torch.equal(slim.s8[1][1].weight, model.s8[1][1].weight[strongest])
    heat, box = slim(torch.rand(1, 3, 64, 96))
    assert heat.shape == (1, 1, 8, 12) and box.shape == (1, 4, 8, 12)


def test_a_student_equal_to_its_teacher_pays_only_the_label_loss():
    model = _trained_looking()
    img = torch.randint(0, 255, (2, 64, 96, 3), dtype=torch.uint8)
    heat, reg, mask = torch.zeros(2, 8, 12), torch.zeros(2, 4, 8, 12), torch.zeros(2, 8, 12)
    heat[:, 3, 4] = mask[:, 3, 4] = 1.0
    batch = (img, heat, reg, mask)
    with torch.no_grad():
        alone, taught = step_loss(model, batch), step_loss(model, batch, teacher=model)
        logits = model(img.permute(0, 3, 1, 2).float() / 255.0)[0]
        p = logits.sigmoid()
        entropy = -(p * p.log() + (1 - p) * (1 - p).log()).sum() / mask.sum()
    assert torch.allclose(taught - alone, entropy, rtol=1e-3)  # box terms 0, heat term its own entropy


def test_the_moving_average_lags_the_weights_and_survives_a_resume(tmp_path):
    from scripts.anpr import checkpoint
    from scripts.train_detector import moving_average

    assert moving_average(PlateDet(SLIM_WIDTHS), 0.0) is None
    model = PlateDet(SLIM_WIDTHS)
    average = moving_average(model, 0.9)
    start = model.heat.bias.detach().clone()
    expected = None
    for n in range(40):
        with torch.no_grad():
            model.heat.bias += 1.0
        average.update_parameters(model)
        # the first update copies the weights; then the decay warms up: (1 + n) / (10 + n), at most 0.9
        d = min(0.9, (1 + n) / (10 + n)) if n else 0.0
        expected = start + n + 1 if expected is None else expected * d + (start + n + 1) * (1 - d)
    assert torch.allclose(average.module.heat.bias, expected, atol=1e-3)
    assert torch.all(average.module.heat.bias < model.heat.bias)
    assert torch.all(average.module.heat.bias > model.heat.bias - 10)  # a lag of ~decay / (1 - decay) steps
    opt = torch.optim.AdamW(model.parameters())
    checkpoint.save(tmp_path / "last.pt", model, opt, 3, 1.0, average)
    again = moving_average(PlateDet(SLIM_WIDTHS), 0.9)
    assert checkpoint.resume(tmp_path / "last.pt", PlateDet(SLIM_WIDTHS), opt, again) == (3, 1.0)
    assert torch.equal(again.module.heat.bias, average.module.heat.bias)
