"""Running the real Prometheus tools (Debian packages installed by deploy/local/prereqs.sh)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed: `make setup` installs it (deploy/local/prereqs.sh)"
    return path


def run(*argv: str, cwd: Path = ROOT, stdout_only: bool = False) -> str:
    """Run a tool; fail with its whole output when it fails."""
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(argv)} failed ({result.returncode}):\n{output}"
    return result.stdout if stdout_only else output
