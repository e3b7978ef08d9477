"""scripts/install.sh in a throwaway root (DESTDIR-style): layout, owners and modes, the
user's groups, the unit enabled, idempotence, uninstall keeping data, purge.

The venv is really built (pip installs gated and its dependencies into ROOT/opt/gated);
apt is not run here. scripts/test-install-chroot.sh does the whole thing on a fresh
debootstrap Debian (minutes; GATED_CHROOT_TEST=1 runs it from here).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT_DIR = Path(__file__).resolve().parents[2]
INSTALL = ROOT_DIR / "scripts" / "install.sh"
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else shutil.which("python3")
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="needs root and shadow-utils (CI runs as root)")


def throwaway_root(path: Path) -> Path:
    etc = path / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\ndialout:x:20:\nvideo:x:44:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\ndialout:*::\nvideo:*::\n")
    shutil.copy("/etc/login.defs", etc / "login.defs")
    return path


def install(root: Path, *args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([str(INSTALL), "--root", str(root), "--python", PYTHON, *args],
                         capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return res


def layout(root: Path) -> dict[str, tuple]:
    """Every path outside the venv with its mode, owner and content hash; the venv's paths."""
    out: dict[str, tuple] = {}
    for p in sorted(root.rglob("*")):
        rel = "/" + str(p.relative_to(root))
        if "__pycache__" in rel or rel.startswith("/etc/") and rel.endswith("-"):
            continue
        st = p.lstat()
        digest = (hashlib.sha256(p.read_bytes()).hexdigest()
                  if p.is_file() and not p.is_symlink() and "/venv/" not in rel else None)
        out[rel] = (oct(st.st_mode), st.st_uid, st.st_gid, digest,
                    os.readlink(p) if p.is_symlink() else None)
    return out


def ids(root: Path, name: str, db: str) -> list[str]:
    return next(ln.split(":") for ln in (root / "etc" / db).read_text().splitlines()
                if ln.startswith(name + ":"))


def test_install_twice_uninstall_and_purge(tmp_path):
    root = throwaway_root(tmp_path / "root")
    install(root)
    user = ids(root, "gated", "passwd")
    gid = int(ids(root, "gated", "group")[2])
    assert user[5:] == ["/var/lib/gated", "/usr/sbin/nologin"]
    assert all("gated" in ids(root, g, "group")[3].split(",") for g in ("dialout", "video"))
    first = layout(root)
    assert first["/var/lib/gated"][:3] == (oct(0o40750), int(user[2]), gid)
    assert first["/etc/gated/lane.toml"][:3] == (oct(0o100640), 0, gid)
    assert first["/etc/gated/credentials"][:3] == (oct(0o40700), 0, 0)
    assert first["/etc/systemd/system/multi-user.target.wants/gated.service"][4] == \
        "/etc/systemd/system/gated.service"
    env = {**os.environ, "GATED_DRIVERS_DIR": str(root / "usr/share/gated/drivers")}
    check = subprocess.run([str(root / "opt/gated/venv/bin/gatectl"), "config", "check",
                            str(root / "etc/gated/lane.toml")], capture_output=True, text=True,
                           env=env, check=False)
    assert check.returncode == 0, check.stdout + check.stderr

    lane = root / "etc/gated/lane.toml"
    lane.write_text(lane.read_text().replace('name = "Hữu Nghị inbound 1"', 'name = "edited"'))
    edited = layout(root)
    install(root)  # idempotent, and a technician's config is never overwritten
    assert layout(root) == edited and 'name = "edited"' in lane.read_text()

    (root / "var/lib/gated/gated.db").write_bytes(b"events")
    install(root, "--uninstall")
    assert not (root / "opt/gated").exists() and not (root / "etc/systemd/system/gated.service").exists()
    assert not (root / "etc/systemd/system/multi-user.target.wants/gated.service").is_symlink()
    assert (root / "var/lib/gated/gated.db").read_bytes() == b"events" and lane.exists()
    install(root, "--uninstall", "--purge")
    assert not (root / "var/lib/gated").exists() and not (root / "etc/gated").exists()
    assert "gated:" not in (root / "etc/passwd").read_text()


@pytest.mark.skipif(os.environ.get("GATED_CHROOT_TEST") != "1",
                    reason="minutes long: set GATED_CHROOT_TEST=1 (needs debootstrap and mirrors)")
def test_install_on_a_fresh_debootstrap_debian(tmp_path):
    res = subprocess.run([str(ROOT_DIR / "scripts/test-install-chroot.sh"), str(tmp_path / "c")],
                         capture_output=True, text=True, timeout=3600, check=False)
    assert res.returncode == 0 and "all checks passed" in res.stdout, res.stdout + res.stderr
