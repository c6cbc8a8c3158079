"""The committed generated code must match proto/: regenerate with `make proto`."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "services" / "indicators_core" / "gen"


def test_generated_code_is_not_stale(tmp_path):
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{ROOT / 'proto'}",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            *protos,
        ],
        check=True,
        cwd=ROOT,
    )
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.py*"))
    assert fresh, "protoc produced nothing"
    for relative in fresh:
        committed = GENERATED / relative
        assert committed.exists(), f"{relative} is not committed: run `make proto`"
        assert committed.read_text() == (tmp_path / relative).read_text(), f"{relative} is stale: run `make proto`"
