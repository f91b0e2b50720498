"""`pip install .` (not only editable installs) must ship the rules and the report schema."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_contains_every_rule_and_the_schema(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    (wheel,) = tmp_path.glob("wslint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = {p.name for p in (REPO / "rules").glob("*.yaml")}
    assert rules
    assert {f"wslint/rules/{r}" for r in rules} <= names
    assert "wslint/data/report-schema.json" in names
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names)
