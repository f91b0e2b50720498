"""Runs a composite action's steps locally, the way the GitHub runner does, for the action's tests.

Steps run in order; `if:` conditions (default `success()`), `continue-on-error`, step outputs
(GITHUB_OUTPUT) and outcomes follow the runner's rules. `run:` steps execute with bash as GitHub
starts it (`bash --noprofile --norc -eo pipefail`), with the env the step declares. `uses:` steps
and, on request, `run:` steps are replaced by stubs the test supplies. Expressions are the subset
the action needs: contexts (inputs, github, runner, steps), string literals, true/false, `==`,
`!=`, `!`, `&&`, `||`, parentheses and the status functions. An expression outside that subset
fails the run, and so does `${{` inside a `run:` script (it would be pasted into the script).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Value = str | bool
# a stub gets the step's evaluated `with:` and returns whether it succeeded and its outputs
Stub = Callable[[dict[str, str]], tuple[bool, dict[str, str]]]

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<name>[A-Za-z_][\w.-]*(?:\(\))?))")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class ActionError(Exception):
    """The action uses something this runner (and so the tests) did not expect."""


@dataclass
class StepResult:
    name: str
    id: str | None
    outcome: str  # success, failure or skipped
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, str]
    failed: StepResult | None  # the step that failed the job, if any

    def step(self, name: str) -> StepResult:
        (found,) = [s for s in self.steps if s.name == name]
        return found

    def commands(self, kind: str) -> list[str]:
        """Messages of the workflow commands (`::error ...::message`) the steps printed."""
        out = []
        for step in self.steps:
            for line in step.stdout.splitlines():
                if line.startswith(f"::{kind} ") or line.startswith(f"::{kind}::"):
                    out.append(line)
        return out


class _Parser:
    def __init__(self, text: str, lookup: Callable[[str], Value]) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ActionError(f"expression not understood at {text[pos:]!r}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.pos = 0
        self.lookup = lookup

    def parse(self) -> Value:
        value = self._or()
        if self.pos != len(self.tokens):
            raise ActionError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ActionError("expression ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> Value:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = left if truthy(left) else right
        return left

    def _and(self) -> Value:
        left = self._not()
        while self._peek() == "&&":
            self._take()
            right = self._not()
            left = right if truthy(left) else left
        return left

    def _not(self) -> Value:
        if self._peek() == "!":
            self._take()
            return not truthy(self._not())
        left = self._primary()
        if self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._primary()
            # GitHub compares strings case-insensitively
            equal = to_str(left).lower() == to_str(right).lower()
            return equal if op == "==" else not equal
        return left

    def _primary(self) -> Value:
        kind, text = self._take()
        if text == "(":
            value = self._or()
            if self._take()[1] != ")":
                raise ActionError("missing )")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            return self.lookup(text)
        raise ActionError(f"unexpected {text!r}")


def truthy(value: Value) -> bool:
    return value if isinstance(value, bool) else value != ""


def to_str(value: Value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else value


def run_action(
    action_yml: Path,
    *,
    inputs: Mapping[str, str],
    workspace: Path,
    runner_temp: Path,
    uses: Mapping[str, Stub],
    replace: Mapping[str, Stub] | None = None,
    github: Mapping[str, str] | None = None,
    base_env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> ActionRun:
    """Run the action's steps. `uses` stubs are keyed by action name without the ref, `replace` by step id."""
    action: dict[str, Any] = yaml.safe_load(action_yml.read_text())
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ActionError(f"inputs the action does not declare: {sorted(unknown)}")
    values = {name: str(spec.get("default", "")) for name, spec in declared.items()} | dict(inputs)
    github_ctx = {"action_path": str(action_yml.parent), "workspace": str(workspace), **(github or {})}
    steps_ctx: dict[str, dict[str, Any]] = {}
    job_failed = False
    failed: StepResult | None = None

    def lookup(name: str) -> Value:
        if name in ("success()", "failure()", "always()", "cancelled()"):
            return {"success()": not job_failed, "failure()": job_failed, "always()": True, "cancelled()": False}[name]
        root, _, rest = name.partition(".")
        if root == "inputs":
            if rest not in values:
                raise ActionError(f"undeclared input {rest!r}")
            return values[rest]
        if root == "github":
            return github_ctx.get(rest, "")
        if root == "runner" and rest == "temp":
            return str(runner_temp)
        if root == "steps":
            step_id, _, prop = rest.partition(".")
            step = steps_ctx.get(step_id, {})
            if prop.startswith("outputs."):
                return str(step.get("outputs", {}).get(prop.removeprefix("outputs."), ""))
            if prop in ("outcome", "conclusion"):
                return str(step.get(prop, ""))
        raise ActionError(f"context {name!r} is not simulated")

    def evaluate(text: str) -> Value:
        return _Parser(text, lookup).parse()

    def substitute(text: str) -> str:
        return EXPRESSION.sub(lambda m: to_str(evaluate(m.group(1))), text)

    runs = action["runs"]
    if runs.get("using") != "composite":
        raise ActionError("not a composite action")
    results: list[StepResult] = []
    for index, spec in enumerate(runs["steps"]):
        name = str(spec.get("name") or spec.get("id") or f"step {index}")
        step_id = spec.get("id")
        condition = str(spec.get("if", "success()")).strip()
        wrapped = EXPRESSION.fullmatch(condition)
        if wrapped:
            condition = wrapped.group(1)
        if not re.search(r"success\(\)|failure\(\)|always\(\)|cancelled\(\)", condition):
            condition = f"success() && ({condition})"
        if not truthy(evaluate(condition)):
            result = StepResult(name, step_id, "skipped")
        else:
            env = {k: substitute(str(v)) for k, v in (spec.get("env") or {}).items()}
            with_ = {k: substitute(str(v)) for k, v in (spec.get("with") or {}).items()}
            if step_id and replace and step_id in replace:
                ok, outputs = replace[step_id](env)
                result = StepResult(name, step_id, "success" if ok else "failure", outputs=outputs, env=env)
            elif "uses" in spec:
                action_name = str(spec["uses"]).split("@")[0]
                if action_name not in uses:
                    raise ActionError(f"no stub for {spec['uses']}")
                ok, outputs = uses[action_name](with_)
                result = StepResult(name, step_id, "success" if ok else "failure", outputs=outputs, with_=with_)
            else:
                result = _run_script(spec, name, step_id, env, workspace, runner_temp, github_ctx, base_env, timeout)
        continue_on_error = spec.get("continue-on-error", False) is True
        conclusion = "success" if result.outcome == "failure" and continue_on_error else result.outcome
        if result.outcome == "failure" and not continue_on_error and not job_failed:
            job_failed = True
            failed = result
        if step_id:
            steps_ctx[step_id] = {"outputs": result.outputs, "outcome": result.outcome, "conclusion": conclusion}
        results.append(result)
    outputs = {k: substitute(str(v.get("value", ""))) for k, v in (action.get("outputs") or {}).items()}
    return ActionRun(results, outputs, failed)


def _run_script(
    spec: dict[str, Any],
    name: str,
    step_id: str | None,
    env: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    github_ctx: Mapping[str, str],
    base_env: Mapping[str, str] | None,
    timeout: float,
) -> StepResult:
    script = str(spec["run"])
    if "${{" in script:
        raise ActionError(f"step {name!r}: an expression inside run: is pasted into the script; pass it through env:")
    if spec.get("shell") != "bash":
        raise ActionError(f"step {name!r}: only bash steps are run")
    with tempfile.TemporaryDirectory(prefix="action-step-") as scratch:
        script_file = Path(scratch) / "step.sh"
        output_file = Path(scratch) / "output"
        script_file.write_text(script)
        output_file.write_text("")
        res = _bash(script_file, output_file, env, workspace, runner_temp, github_ctx, base_env, timeout)
        outputs = _read_outputs(output_file.read_text())
    return StepResult(
        name,
        step_id,
        "success" if res.returncode == 0 else "failure",
        returncode=res.returncode,
        stdout=res.stdout,
        stderr=res.stderr,
        outputs=outputs,
        env=env,
    )


def _bash(
    script_file: Path,
    output_file: Path,
    env: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    github_ctx: Mapping[str, str],
    base_env: Mapping[str, str] | None,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **(base_env if base_env is not None else os.environ),
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": github_ctx["action_path"],
        "RUNNER_TEMP": str(runner_temp),
        **env,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
        cwd=workspace,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _read_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            key, delimiter = line.split("<<", 1)
            body = []
            for part in lines:
                if part == delimiter:
                    break
                body.append(part)
            outputs[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs
