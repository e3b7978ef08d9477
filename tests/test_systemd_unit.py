"""The shipped unit passes systemd's own checks (issue: verify clean, exposure <= 2.0)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "gated.service"
pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze not installed")


def test_verify_reports_only_the_missing_executable():
    res = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True)
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
    unexpected = [ln for ln in lines if "/opt/gated/venv/bin/gated" not in ln]
    assert unexpected == []


def test_security_exposure_is_at_most_1_5():
    res = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNIT)],
                         capture_output=True, text=True)
    m = re.search(r"Overall exposure level for gated.service: ([0-9.]+)", res.stdout)
    assert m, res.stdout[-500:] + res.stderr
    assert float(m.group(1)) <= 1.5
