"""Real peers for the field tests: a live RTSP camera and a mosquitto broker (plain, or
TLS with a password file). Each runs in its own process on a free loopback port and is
stopped by its fixture; waits are bounded."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import select
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scripts.peers.mqtt import wait_port
from scripts.peers.processes import DIE_WITH_PARENT, WAIT_S, Process, free_port

SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SERVER = Path(__file__).resolve().parents[2] / "scripts" / "anpr" / "rtsp_server.py"


def gstreamer_available() -> bool:
    probe = ("import gi; gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import GstRtspServer")
    return Path(SYSTEM_PYTHON).exists() and subprocess.run(
        [SYSTEM_PYTHON, "-c", probe], capture_output=True, check=False).returncode == 0


class RtspCamera(Process):
    """GStreamer's RTSP server streaming a 640x360 test pattern at 25 fps."""

    def __init__(self, tmp: Path, tag: str = "camera") -> None:
        self.port = free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        super().__init__([SYSTEM_PYTHON, str(RTSP_SERVER), "--port", str(self.port)],
                         tmp / f"{tag}.log", stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], WAIT_S)
        line = self.proc.stdout.readline() if ready else ""  # READY ..., or it died
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError(f"RTSP server did not start: {line!r} {self.log.read_text()[-500:]}")


def _mosquitto_folder() -> Path:
    """A folder of its own directly under the system temp dir: mosquitto drops to its own
    user when started as root and must read its files there, whatever the modes of
    pytest's 0700 folders (which other pytest sessions on the machine reset)."""
    folder = Path(tempfile.mkdtemp(prefix="gated-mosquitto-"))
    folder.chmod(0o755)
    return folder


def _let_mosquitto_in(folder: Path) -> None:
    if os.geteuid() == 0:
        for f in (folder, *folder.iterdir()):
            shutil.chown(f, "mosquitto", "mosquitto")


class Broker(Process):
    """Debian's mosquitto on a free loopback port; ``tls`` adds a certificate and a
    password file (user ``lane``, password ``secret``). Its log is ``log_dir/NAME.log``."""

    def __init__(self, log_dir: Path, tls: Pki | None = None, name: str = "broker") -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.folder = folder = _mosquitto_folder()
        self.port = free_port()
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "log_dest stderr"]
        if tls is None:
            lines.append("allow_anonymous true")
        else:
            passwd = folder / "passwd"
            passwd.write_text("lane:secret\n")
            subprocess.run(["mosquitto_passwd", "-U", str(passwd)], check=True,
                           capture_output=True)
            for f in (tls.ca, tls.cert, tls.key):
                shutil.copy(f, folder / f.name)
            lines += ["allow_anonymous false", f"password_file {passwd}",
                      f"cafile {folder / tls.ca.name}", f"certfile {folder / tls.cert.name}",
                      f"keyfile {folder / tls.key.name}"]
        conf = folder / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        _let_mosquitto_in(folder)
        super().__init__(["mosquitto", "-c", str(conf)], log_dir / f"{name}.log")
        try:
            wait_port(self.port)
        except AssertionError:
            self.stop()
            raise

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Pki:
    """A CA and a broker certificate for 127.0.0.1 valid ``days`` days (files in folder)."""

    def __init__(self, folder: Path, days: int = 90) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test central CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca, self.cert, self.key = folder / "ca.pem", folder / "broker.pem", folder / "broker.key"
        self.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))


__all__ = ["DIE_WITH_PARENT", "Broker", "Pki", "RtspCamera", "free_port", "gstreamer_available"]
