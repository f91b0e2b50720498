"""`--fix` on every HAProxy, Traefik, Apache and Caddy fixture, as test_fix_fixtures.py does for nginx.

Each fixture is copied, fixed with wslint's own `--fix`, and then: no finding
that carries edits is left, a second `--fix` changes no byte and reports the
same, and the proxy's own check accepts the fixed configuration whenever it
accepted the original (`haproxy -c`, `apache2 -t`, `caddy validate`, traefik
loading the file provider's files without a new error in its log).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.apache_proxy import MODULES
from tests.e2e.backends import Backend
from tests.e2e.traefik_proxy import Traefik
from tests.test_fixtures import annotations, apache_cases, caddy_cases, haproxy_cases, traefik_cases
from tests.wslint_cli import Completed, wslint_in

pytestmark = pytest.mark.realproxy

CHECK_TIMEOUT = 60


def _wslint(cwd: Path, *args: str) -> Completed:
    return wslint_in(cwd, *args)


CASES = [
    *(("haproxy", c) for c in haproxy_cases()),
    *(("traefik", c) for c in traefik_cases()),
    *(("apache", c) for c in apache_cases()),
    *(("caddy", c) for c in caddy_cases()),
]


def _haproxy_ok(binary: str, work: Path, target: str) -> tuple[bool, str]:
    res = subprocess.run([binary, "-c", "-f", target], cwd=work, capture_output=True, text=True, timeout=CHECK_TIMEOUT)
    return res.returncode == 0, res.stdout + res.stderr


def _apache_ok(binary: str, work: Path, target: str) -> tuple[bool, str]:
    (work / "modules").symlink_to(MODULES)
    (work / "logs").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}
    res = subprocess.run(
        [binary, "-t", "-d", str(work), "-f", str(work / target)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        env=env,
    )
    return res.returncode == 0, res.stdout + res.stderr


def _caddy_ok(binary: str, work: Path, target: str) -> tuple[bool, str]:
    home = work.parent / f"{work.name}-home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    res = subprocess.run(
        [binary, "validate", "--config", target, "--adapter", "caddyfile"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        env=env,
    )
    return res.returncode == 0, res.stdout + res.stderr


def _traefik_errors(binary: str, work: Path, target: str) -> tuple[bool, str]:
    """Traefik has no check command: load the dynamic files and read its error log."""
    files = [p for p in sorted(work.rglob("*")) if p.is_file() and p.suffix in (".yml", ".yaml", ".toml")]
    dynamic = [p for p in files if p.name != "traefik.yml" and re.search(r"^(http:|\[http)", p.read_text(), re.M)]
    if not dynamic:
        return True, ""
    first, *rest = dynamic
    # the readiness router answers once its backend does: only then is the configuration applied
    with Backend() as ready:
        proxy = Traefik(binary, work.parent / f"{work.name}-traefik", ready.port, first.read_text(), first.name)
        for p in rest:
            proxy.write_dynamic(p.read_text(), p.name)
        try:
            proxy.start()
            log = proxy.log_text()
        except RuntimeError as exc:  # it never applied the configuration
            return False, str(exc)
        finally:
            proxy.stop()
    errors = [line for line in log.splitlines() if "ERR" in line or "error" in line.lower()]
    return not errors, "\n".join(errors)


CHECKS: dict[str, Callable[[str, Path, str], tuple[bool, str]]] = {
    "haproxy": _haproxy_ok,
    "traefik": _traefik_errors,
    "apache": _apache_ok,
    "caddy": _caddy_ok,
}


@pytest.fixture
def binary(request: pytest.FixtureRequest) -> Callable[[str], str]:
    def get(proxy: str) -> str:
        name = {"haproxy": "haproxy_bin", "traefik": "traefik_bin", "apache": "apache_bin", "caddy": "caddy_bin"}
        return str(request.getfixturevalue(name[proxy]))

    return get


@pytest.mark.parametrize(("proxy", "case"), CASES, ids=lambda v: v if isinstance(v, str) else v.parent.name)
def test_fix_every_fixture(proxy: str, case: Path, tmp_path: Path, binary: Callable[[str], str]) -> None:
    exe = binary(proxy)
    _, _, options = annotations(case, case.parent.parent)
    work = tmp_path / "case"
    shutil.copytree(case.parent, work)
    (work / ".git").mkdir()
    target = case.name
    args = (target, "--proxy", proxy, *options)
    before = json.loads(_wslint(work, *args, "--format", "json").stdout)["findings"]
    ok_before, _ = CHECKS[proxy](exe, _copy(work, tmp_path / "before"), target)

    first = _wslint(work, *args, "--fix", "--format", "json")
    assert first.returncode in (0, 1), first.stdout + first.stderr
    remaining = json.loads(first.stdout)["findings"]
    assert not [f for f in remaining if f["fix"] and f["fix"]["edits"]], remaining
    assert len(remaining) <= len(before)
    snapshot = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
    second = _wslint(work, *args, "--fix", "--format", "json")
    assert {p: p.read_bytes() for p in work.rglob("*") if p.is_file()} == snapshot
    assert json.loads(second.stdout)["findings"] == remaining

    ok_after, err = CHECKS[proxy](exe, _copy(work, tmp_path / "after"), target)
    refused_before = any(f["category"] == "config-invalid" for f in before)
    refused_after = any(f["category"] == "config-invalid" for f in remaining)
    if ok_before or (refused_before and not refused_after):
        assert ok_after, f"{proxy} refuses the fixed configuration: {err}"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst
