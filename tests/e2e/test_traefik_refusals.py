"""What traefik itself does with the files of tests/traefik_refusal_cases.py, and that wslint says the same.

One traefik with a watched provider directory takes every case in turn (the
directory holds only that case's file): a file it takes shows its router in
the API; a file it refuses leaves the router out and logs the error the case
records. A refused file also takes the other files of its directory down with
it (measured on a fresh start), and a static configuration with an unknown key
keeps traefik from starting.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.proxies import ProxyProcess, free_port, stop_process, wait_for_ports
from tests.traefik_refusal_cases import CASES, Case, router
from wslint.core import LintOptions, Report, run
from wslint.engine.rules import load_rules

pytestmark = pytest.mark.realproxy

RULES = load_rules()
REFUSED = "Traefik refuses the whole file"
STATIC = """\
global: {{checkNewVersion: false, sendAnonymousUsage: false}}
log: {{level: ERROR, format: json, filePath: "{log}"}}
api: {{insecure: true}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  traefik: {{address: "127.0.0.1:{api}"}}
providers:
  providersThrottleDuration: 0s
  file: {{directory: "{dynamic}", watch: {watch}}}
"""


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    workdir: Path
    api: int

    @property
    def dynamic(self) -> Path:
        return self.workdir / "dynamic"

    def routers(self) -> set[str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api}/api/http/routers", timeout=2) as answer:
                return {r["name"] for r in json.load(answer)}
        except OSError:
            return set()

    def errors(self) -> list[str]:
        log = self.workdir / "traefik.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return [json.loads(line).get("error", "") for line in lines if line.startswith("{")]

    def stop(self) -> None:
        stop_process(self.proc, ProxyProcess.stop_grace)


def start(binary: str, workdir: Path, files: dict[str, str], watch: bool) -> Running:
    (workdir / "dynamic").mkdir(parents=True)
    for name, text in files.items():
        (workdir / "dynamic" / name).write_text(text)
    api = free_port()
    static = STATIC.format(
        log=workdir / "traefik.log", web=free_port(), api=api, dynamic=workdir / "dynamic", watch=str(watch).lower()
    )
    (workdir / "traefik.yml").write_text(static)
    proc = subprocess.Popen(
        [binary, f"--configFile={workdir / 'traefik.yml'}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
    )
    running = Running(proc, workdir, api)
    if not wait_for_ports([api], 15, proc):
        running.stop()
        raise RuntimeError("traefik did not listen")
    return running


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def wslint_refusals(directory: Path, name: str, text: str) -> list[str]:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    report: Report = run(LintOptions(paths=(str(path),), proxy="traefik"), RULES)
    return [d.message for d in report.diagnostics if REFUSED in d.message]


@pytest.fixture(scope="module")
def watched(traefik_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start(traefik_bin, tmp_path_factory.mktemp("traefik-refusals"), {}, watch=True)
    yield running
    running.stop()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
def test_traefik_refuses_exactly_what_the_case_says(watched: Running, tmp_path: Path, index: int) -> None:
    case: Case = CASES[index]
    for old in watched.dynamic.iterdir():
        old.unlink()
    name = f"case-{index}-{case.name}"
    router_name = f"probe{index}@file"
    seen = len(watched.errors())
    tmp = watched.dynamic / f".{name}.tmp"
    tmp.write_text(case.text.replace("ROUTER", f"probe{index}"))
    os.replace(tmp, watched.dynamic / name)
    if case.error is None:
        assert wait_until(lambda: router_name in watched.routers()), watched.errors()[seen:]
    else:
        path = str(watched.dynamic / name)
        assert wait_until(lambda: any(path in e and case.error in e for e in watched.errors()[seen:])), (
            watched.errors()[seen:]
        )
        assert router_name not in watched.routers()
    found = wslint_refusals(tmp_path, case.name, case.text.replace("ROUTER", "chat"))
    assert (found != []) == (case.error is not None), found


def test_a_refused_file_takes_its_whole_directory_down(traefik_bin: str, tmp_path: Path) -> None:
    service = "  services:\n    svc:\n      loadBalancer:\n        servers: [{url: 'http://127.0.0.1:9'}]\n"
    good = router().replace("ROUTER", "good") + service
    bad = router().replace("ROUTER", "bad") + "  servces:\n    svc: {loadBalancer: {}}\n"
    running = start(traefik_bin, tmp_path / "run", {"bad.yml": bad, "good.yml": good}, watch=False)
    try:
        assert wait_until(lambda: any("field not found, node: servces" in e for e in running.errors()))
        assert "Cannot start the provider" in (running.workdir / "traefik.log").read_text()
        # the API's own router is up: the configuration is applied, without either file's router
        assert wait_until(lambda: "api@internal" in running.routers())
        assert not {"good@file", "bad@file"} & running.routers()
    finally:
        running.stop()
    # wslint, linting the good file, reads its provider directory and names the file that takes it down
    (tmp_path / "lint").mkdir()
    (tmp_path / "lint" / "bad.yml").write_text(bad)
    found = wslint_refusals(tmp_path / "lint", "good.yml", good)
    assert len(found) == 1 and "`field not found, node: servces`" in found[0]


def test_a_static_configuration_with_an_unknown_key_keeps_traefik_from_starting(
    traefik_bin: str, tmp_path: Path
) -> None:
    text = f"entryPoints:\n  web:\n    adress: '127.0.0.1:{free_port()}'\n"
    (tmp_path / "traefik.yml").write_text(text)
    done = subprocess.run(
        [traefik_bin, f"--configFile={tmp_path / 'traefik.yml'}"], capture_output=True, timeout=30, cwd=tmp_path
    )
    assert done.returncode != 0
    assert b"field not found, node: adress" in done.stdout + done.stderr
    report = run(LintOptions(paths=(str(tmp_path / "traefik.yml"),), proxy="traefik"), RULES)
    found = [d.message for d in report.diagnostics if "does not start" in d.message]
    assert len(found) == 1 and "`field not found, node: adress`" in found[0]
