"""Config files: the example documents every key; bad files name every problem."""

from __future__ import annotations

import re
import subprocess
import sys
import typing
from pathlib import Path

from pydantic import BaseModel

from gated.config import load_config
from gated.config.schema import LaneConfig
from gated.config.secrets import read_secret

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "lane.example.toml"


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        out.append(prefix + name)
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            for inner in [arg, *typing.get_args(arg)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    out += _fields(inner, f"{prefix}{name}.")
    return out


def test_example_is_valid_and_documents_every_key():
    load_config(EXAMPLE)
    text = EXAMPLE.read_text()
    keys = set(re.findall(r"^\s*#?\s*([a-z_]+)\s*=", text, re.M))  # alternatives as comments
    sections = set(re.findall(r"^#?\s*\[+([a-z_.]+)\]+", text, re.M))  # optional ones commented
    for dotted in _fields(LaneConfig):
        leaf = dotted.rsplit(".", 1)[-1]
        assert leaf in keys or dotted in sections, f"{dotted} is not documented in {EXAMPLE.name}"


def test_demo_configs_are_valid():
    assert load_config(ROOT / "config" / "demo-sim.toml").config.sim.vehicles
    demo = load_config(ROOT / "config" / "demo.toml").config
    assert demo.io.driver == "modbus" and demo.cameras[0].driver == "rtsp"
    assert demo.qr.camera == demo.cameras[0].name and demo.sim.passes


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True)


def test_bad_config_names_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[lane]\nsite = "huu-nghi"\ndirection = "in"\n'
                   '[timing]\nclear_delay_s = "two"\n[store]\npth = "/x.db"\n')
    res = _run("gated.control.cli", "config", "check", str(bad))
    assert res.returncode == 2
    lines = res.stdout.strip().splitlines()
    assert f"{bad}: lane.id: required key is missing" in lines
    assert any(ln.startswith(f"{bad}: timing.clear_delay_s: ") for ln in lines)
    assert f"{bad}: store.pth: unknown key (misspelt?)" in lines
    daemon = _run("gated.daemon.main", "--config", str(bad))
    assert daemon.returncode == 2
    assert daemon.stderr.strip().splitlines() == lines
    assert "Traceback" not in daemon.stderr


def test_syntax_errors_and_missing_files(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[lane\n")
    res = _run("gated.daemon.main", "--config", str(broken))
    assert res.returncode == 2 and "(toml syntax)" in res.stderr and "line 1" in res.stderr
    res = _run("gated.daemon.main", "--config", str(tmp_path / "missing.toml"))
    assert res.returncode == 2 and "cannot read" in res.stderr
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in _run("gated.daemon.main", "-c", str(binary)).stderr


def test_cross_field_rules(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text('[lane]\nsite = "Huu Nghi"\nid = "in-01"\ndirection = "in"\n'
                 '[timing]\ntailgate_gap_s = 5.0\n[[cameras]]\nname = "front"\ndriver = "rtsp"\n')
    res = _run("gated.control.cli", "config", "check", str(f))
    assert res.returncode == 2
    assert "lane.site: site must match" in res.stdout
    assert "timing: tailgate_gap_s must not exceed clear_delay_s" in res.stdout
    assert "cameras[0]: url is required" in res.stdout


def test_serial_barrier_rules(tmp_path):
    """A serial barrier controller needs a real I/O module (loops, limits) and its own port."""
    lane = '[lane]\nsite = "huu-nghi"\nid = "in-01"\ndirection = "in"\n'
    barrier = '[barrier]\ndriver = "serial"\ndevice = "/dev/ttyUSB1"\n'
    io = '[io]\ndriver = "modbus"\nprofile = "relay-8x8"\ntransport = "tcp"\nhost = "10.0.0.2"\n'
    sim = tmp_path / "sim.toml"
    sim.write_text(lane + barrier)
    res = _run("gated.control.cli", "config", "check", str(sim))
    assert res.returncode == 2 and "[barrier] (a serial barrier controller) needs a real [io]" in res.stdout
    shared = tmp_path / "shared.toml"
    shared.write_text(lane + io + '[board]\ndriver = "serial"\ndevice = "/dev/ttyUSB1"\n' + barrier)
    res = _run("gated.control.cli", "config", "check", str(shared))
    assert res.returncode == 2 and "[barrier] device /dev/ttyUSB1 is also [board]'s" in res.stdout
    slow = tmp_path / "slow.toml"
    slow.write_text(lane + io + barrier + "timeout_ms = 400\n")
    res = _run("gated.control.cli", "config", "check", str(slow))
    assert res.returncode == 2 and f"{slow}: barrier: " in res.stdout and "within 1000 ms" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


def test_secrets_from_credentials_then_env(tmp_path, monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.setenv("GATED_MQTT_PASSWORD", "from-env")
    assert read_secret("mqtt-password") == "from-env"
    (tmp_path / "mqtt-password").write_text("from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_secret("mqtt-password") == "from-credential"
    assert read_secret("absent") is None


def test_close_up_pass_is_a_per_camera_switch_for_the_reader(tmp_path):
    from gated.anpr.reader import CLOSE_UP_WIDTH, camera_config
    from gated.config.schema import CameraSection

    assert not CameraSection(name="front").close_up_pass  # off unless asked
    assert camera_config(False).coarse_width == 0
    assert not camera_config(False).whole_image_fallback  # a camera frame is never a plate crop
    assert camera_config(False).join_halves  # a stream's frames pool the reads of a split close-up
    cam = CameraSection(name="gate", driver="rtsp", url="rtsp://10.0.0.2/s", close_up_pass=True)
    assert camera_config(cam.close_up_pass).coarse_width == CLOSE_UP_WIDTH
    f = tmp_path / "x.toml"
    f.write_text('[lane]\nsite = "huu-nghi"\nid = "in-01"\ndirection = "in"\n'
                 '[[cameras]]\nname = "front"\ndriver = "rtsp"\nurl = "rtsp://x/y"\nclose_up_pass = "maybe"\n')
    res = _run("gated.control.cli", "config", "check", str(f))
    assert res.returncode == 2 and "cameras[0].close_up_pass" in res.stdout
