"""Reading the end of a child process's log, for error messages that say why it failed."""

from pathlib import Path


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
