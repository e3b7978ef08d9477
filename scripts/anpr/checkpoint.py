"""Resumable training checkpoints shared by the detector and OCR trainers.

Trainings here get interrupted (the machine's working day ends), so both save
``last.pt`` often — written to a temporary file and renamed, so a kill mid-save never
leaves a truncated checkpoint — and resume from it.
"""

from __future__ import annotations

from pathlib import Path

import torch


def resume(last: Path, model: torch.nn.Module, opt: torch.optim.Optimizer,
           average: torch.nn.Module | None = None) -> tuple[int, float] | None:
    """Load ``last`` into ``model`` (and ``opt`` and the weight ``average`` when saved);
    ``(step, elapsed_s)`` or None."""
    if not last.exists():
        return None
    state = torch.load(last, weights_only=False)
    model.load_state_dict(state["model"])
    if "opt" in state:
        opt.load_state_dict(state["opt"])
    if average is not None and "average" in state:
        average.load_state_dict(state["average"])
    step, elapsed = state["step"], state.get("elapsed", 0.0)
    print(f"resumed at step {step}", flush=True)
    return step, elapsed


def save(last: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, step: int,
         elapsed: float, average: torch.nn.Module | None = None) -> None:
    tmp = last.with_suffix(".tmp")
    state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed}
    if average is not None:
        state["average"] = average.state_dict()
    torch.save(state, tmp)
    tmp.rename(last)
