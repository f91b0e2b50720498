"""The files that integrate wslint elsewhere (GitHub Action, pre-commit hook) stay consistent with the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from wslint.cli import app
from wslint.formatters import FORMATTERS

REPO = Path(__file__).resolve().parents[1]


def test_action_is_a_composite_action_using_real_options() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"paths", "format", "args", "upload-sarif", "python-version"}
    (lint,) = [step for step in action["runs"]["steps"] if step.get("id") == "lint"]
    script = lint["run"]
    assert "--skip-unknown" in script and "--output" in script
    assert action["inputs"]["format"]["default"] in FORMATTERS
    help_text = CliRunner().invoke(app, ["check", "--help"], terminal_width=200).output
    # every option the lint step passes is one wslint has
    for option in set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", script)):
        assert option in help_text, option


def test_precommit_hook_definition() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "wslint" and hook["language"] == "python"
    files = re.compile(hook["files"])
    for name in ("nginx.conf", "deploy/conf.d/app.conf", "etc/nginx/sites-available/app", "snippets/ws.conf"):
        assert files.search(name), name
    assert not files.search("src/app.py")
    assert hook["entry"].split()[0] == "wslint" and "--skip-unknown" in hook["entry"]
