"""An interpreter with the container image's dependencies only: ``requirements.lock`` (hash-checked, as the
Dockerfile installs it) and the tool itself, without the test tools and the emulator's packages. Memory is
measured there: the test venv holds packages the image does not (pydantic, which DeepDiff imports when present,
7 MB), so a daemon run from it is not the daemon that ships."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench-image-venv"


def python() -> str:
    """The image venv's interpreter, made (or remade when requirements.lock changed) on first use."""
    lock = (ROOT / "requirements.lock").read_bytes()
    stamp = VENV / "lock.sha256"
    digest = hashlib.sha256(lock).hexdigest()
    interpreter = VENV / "bin" / "python"
    if not interpreter.exists() or not stamp.exists() or stamp.read_text() != digest:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        lock_file = str(ROOT / "requirements.lock")
        subprocess.run([*pip, "--require-hashes", "--only-binary=:all:", "-r", lock_file], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
        stamp.write_text(digest)
    return str(interpreter)
