"""Resumable training checkpoints shared by the detector and OCR trainers.

Trainings here get interrupted (the machine's working day ends), so both save
``last.pt`` often — written to a temporary file and renamed, so a kill mid-save never
leaves a truncated checkpoint — and resume from it.
"""

from __future__ import annotations

from pathlib import Path

import torch


def resume(last: Path, model: torch.nn.Module, opt: torch.optim.Optimizer) -> tuple[int, float] | None:
    """Load ``last`` into ``model`` (and ``opt`` when saved); ``(step, elapsed_s)`` or None."""
    if not last.exists():
        return None
    state = torch.load(last, weights_only=False)
    model.load_state_dict(state["model"])
    if "opt" in state:
        opt.load_state_dict(state["opt"])
    step, elapsed = state["step"], state.get("elapsed", 0.0)
    print(f"resumed at step {step}", flush=True)
    return step, elapsed


def save(last: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, step: int,
         elapsed: float) -> None:
    tmp = last.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                "elapsed": elapsed}, tmp)
    tmp.rename(last)
