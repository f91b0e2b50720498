"""wslint refuses exactly the nginx configurations `nginx -t` refuses, on the line nginx names.

Inputs: every nginx fixture, and mutations derived from each by a fixed seed
(drop a `;`, drop a `}`, add or remove an argument, give a simple directive a
block or take a block's away, misspell a name, copy a directive into another
block). Each input is wrapped the way nginx loads it: a main file that loads
every dynamic module the Debian build ships (as /etc/nginx/modules-enabled
does), with the fixture included in http (a fragment) or as the main file
itself, certificates and the stock snippets in place, every upstream on
127.0.0.1. wslint lints the same main file through its Python API with
`--nginx-version` 1.22.1 (the nginx under test).

"wslint refuses" means an error diagnostic, or a finding of a rule that says
nginx refuses the configuration (config-invalid: WS402/WS403/WS404 for a
misplaced directive they can move; undefined-variable). nginx's first error
must be among wslint's, and the first of wslint's in that file.

Left out of the comparison, because they are not syntax: an nginx refusal
whose message is about a value or a meaning (`invalid value "x"`, `invalid
parameter`, `host not found`, `is duplicate`, `location "/a" is outside
location "/b"`, a missing certificate, an unknown variable nginx names
without a line ...). wslint does not model those. For such an input wslint
may still report a syntax error that comes later in the file (nginx stopped
before reading it, a `}` dropped after a nested location), never one before
the line nginx names, which nginx read without complaint.

The fixtures themselves are also linted alone, as a user lints a fragment:
wslint then cannot see the modules nginx.conf loads, so an unknown directive
is a warning there, on nginx's line; every other refusal is the same.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.run_once import build_once
from tests.test_fixtures import FIXTURES, cases
from wslint.core import LintOptions, Report, run
from wslint.engine.rules import RuleSet
from wslint.findings import Severity
from wslint.nginx.positions import LineIndex, scan

pytestmark = pytest.mark.realproxy

VERSION = "1.22.1"
REFUSING = {"config-invalid", "undefined-variable"}
# nginx's complaints about syntax: arity, blocks, contexts, names, the reader
SYNTAX = re.compile(
    r"^(unexpected |unknown directive |\"[^\"]+\" directive is not allowed here|directive \"[^\"]+\" is not "
    r"terminated by|directive \"[^\"]+\" has no opening|invalid number of arguments|invalid value \"[^\"]*\" in "
    r"\"[^\"]+\" directive, it must be \"on\" or \"off\"|too long parameter)"
)
EMERG = re.compile(r"\[emerg\] (?P<message>.*?)(?: in (?P<path>/\S+):(?P<line>\d+))?$", re.M)
MUTATIONS_PER_FILE = 8
MODULE_DIRS = (Path("/etc/nginx/modules-enabled"), Path("/usr/share/nginx/modules-available"))


# --- the environment nginx needs ---------------------------------------------------------------


def load_modules() -> list[str]:
    """`load_module` lines for the Debian build's dynamic modules, in modules-enabled's order.

    modules-enabled names them with a priority (50-mod-stream, 70-mod-stream-geoip) because a module
    may need another loaded first; modules-available is the fallback, with stream before its users.
    """
    for d in MODULE_DIRS:
        confs = sorted(d.glob("*.conf")) if d.is_dir() else []
        if confs:
            break
    lines = []
    for conf in sorted(confs, key=lambda p: ("stream-geoip" in p.name, p.name)):
        for m in re.finditer(r"load_module\s+(\S+?);", conf.read_text()):
            so = Path(m.group(1))
            path = so if so.is_absolute() else Path("/usr/lib/nginx/modules") / so.name
            lines.append(f"load_module {path};")
    return lines


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Certificates the fixtures name (/etc/ssl/example/*.pem), made once."""
    d = tmp_path_factory.mktemp("syntax-env")
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the fixtures' certificates (.ci/run installs it)"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=example.test",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return d


@pytest.fixture(scope="session")
def modules() -> list[str]:
    lines = load_modules()
    if len(lines) < 7:
        pytest.fail(
            "the Debian nginx dynamic modules are not installed (apt-get install libnginx-mod-stream "
            "libnginx-mod-mail libnginx-mod-http-geoip ...; .ci/run installs them)"
        )
    return lines


# --- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One configuration: its files (relative path -> text) and the file nginx and wslint load."""

    name: str
    files: dict[str, str]
    main: str
    # the fixture file as a user lints it alone (fragments only)
    fragment: str | None = None


def _is_main(text: str) -> bool:
    return re.search(r"^\s*(events|http)\s*\{", text, re.M) is not None


def fixture_case(case: Path) -> Case:
    name = os.path.relpath(case, FIXTURES)
    if case.name == "nginx.conf":
        root = case.parent
        files = {os.path.relpath(p, root): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}
        return Case(name, files, "nginx.conf")
    text = case.read_text()
    if _is_main(text):
        return Case(name, {case.name: text}, case.name)
    return Case(name, {case.name: text}, "main.conf", fragment=case.name)


def _wrap(case: Case, work: Path, env: Path, modules: list[str]) -> None:
    """Write the case under `work` the way nginx loads it."""
    for rel, text in case.files.items():
        p = work / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text.replace("/etc/ssl/example/", f"{env}/"))
    head = "\n".join([*modules, f"pid {work}/nginx.pid;", ""])
    if case.fragment is not None:
        (work / "main.conf").write_text(
            head
            + "events {}\nhttp {\n"
            # a server that listens with ssl and names no certificate takes the http level's
            + f"    ssl_certificate {env}/cert.pem;\n    ssl_certificate_key {env}/key.pem;\n"
            + f"    include {work / case.fragment};\n}}\n"
        )
    else:
        main = work / case.main
        main.write_text(head + main.read_text())
    for stock in ("fastcgi_params", "proxy_params", "mime.types"):
        if Path("/etc/nginx", stock).is_file():
            shutil.copy(Path("/etc/nginx", stock), work / stock)


# --- mutations -------------------------------------------------------------------------------------


def _statements(text: str) -> list[tuple[str, int, int, int | None, int | None]]:
    """(name, start, end, open brace, close brace) offsets of every statement nginx would read."""
    scanned = scan(text)
    idx = LineIndex(text)
    out = []
    for e in scanned.extents:
        brace = idx.offset(e.open_brace) if e.open_brace else None
        close = idx.offset(e.close_brace) if e.close_brace else None
        out.append((e.name, idx.offset(e.start), idx.offset(e.end), brace, close))
    return out


def mutate(text: str, rng: random.Random) -> tuple[str, str] | None:
    """One random syntax mutation of `text`: (kind, new text), or None when the pick does not apply."""
    stmts = _statements(text)
    simple = [s for s in stmts if s[3] is None and text[s[2] - 1] == ";"]
    blocks = [s for s in stmts if s[3] is not None and s[4] is not None]
    kind = rng.choice(
        ["drop-semicolon", "drop-brace", "add-argument", "remove-argument", "to-block"] * 2
        + ["from-block", "misspell", "misspell", "copy-elsewhere", "copy-elsewhere"]
    )
    if kind in ("drop-semicolon", "add-argument", "remove-argument", "to-block") and simple:
        name, start, end, _, _ = rng.choice(simple)
        semi = end - 1
        if kind == "drop-semicolon":
            return kind, text[:semi] + text[semi + 1 :]
        if kind == "add-argument":
            return kind, text[:semi] + " extra" + text[semi:]
        if kind == "to-block":
            return kind, text[:semi] + " { }" + text[semi + 1 :]
        body = text[start + len(name) : semi]
        words = body.split()
        if not words or any(q in body for q in "\"'"):
            return None
        cut = body.rstrip().rfind(words[-1])
        return kind, text[: start + len(name)] + body[:cut].rstrip() + text[semi:]
    if kind == "drop-brace" and blocks:
        _, _, _, _, close = rng.choice(blocks)
        assert close is not None
        return kind, text[:close] + text[close + 1 :]
    if kind == "from-block" and blocks:
        _, _, end, brace, _ = rng.choice(blocks)
        assert brace is not None
        return kind, text[:brace].rstrip() + ";" + text[end:]
    if kind == "misspell" and stmts:
        name, start, _, _, _ = rng.choice(stmts)
        if len(name) < 4 or not name.isidentifier():
            return None
        i = rng.randrange(1, len(name) - 1)
        typo = name[:i] + name[i + 1 :] if rng.random() < 0.5 else name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        return kind, text[:start] + typo + text[start + len(name) :]
    if kind == "copy-elsewhere" and simple and blocks:
        _, start, end, _, _ = rng.choice(simple)
        _, _, _, brace, _ = rng.choice(blocks)
        assert brace is not None
        line = text[start:end]
        return kind, text[: brace + 1] + "\n" + line + "\n" + text[brace + 1 :]
    return None


def mutated_cases(case: Case) -> Iterator[Case]:
    seed = sum(ord(c) for c in case.name)
    rng = random.Random(seed)
    targets = sorted(rel for rel in case.files if not rel.endswith(".md"))
    made = 0
    for _ in range(MUTATIONS_PER_FILE * 6):
        if made == MUTATIONS_PER_FILE:
            break
        rel = rng.choice(targets)
        result = mutate(case.files[rel], rng)
        if result is None or result[1] == case.files[rel]:
            continue
        kind, text = result
        made += 1
        files = {**case.files, rel: text}
        yield Case(f"{case.name}~{made}-{kind}", files, case.main, case.fragment)


def all_cases() -> list[Case]:
    out = []
    for path in cases():
        base = fixture_case(path)
        out.append(base)
        out.extend(mutated_cases(base))
    return out


# --- the two sides -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    refused: bool
    message: str = ""
    # (real path, line) nginx or wslint names for a refusal
    where: tuple[str, int] | None = None


def nginx_verdict(binary: str, work: Path, main: str) -> Verdict:
    res = subprocess.run(
        [binary, "-t", "-q", "-p", str(work), "-e", str(work / "error.log"), "-c", str(work / main)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if res.returncode == 0:
        return Verdict(False)
    m = EMERG.search(res.stderr)
    assert m, res.stderr
    where = (os.path.realpath(m["path"]), int(m["line"])) if m["path"] else None
    return Verdict(True, m["message"], where)


def wslint_refusals(report: Report, work: Path) -> list[tuple[str, int, str, Severity]]:
    """(real path, line, message, severity) of every refusal wslint reports, and its warnings."""
    out = []
    for d in report.diagnostics:
        if d.path and d.line and d.severity >= Severity.WARNING and d.kind == "parse":
            out.append((os.path.realpath(work / d.path), d.line, d.message, d.severity))
    for f in report.findings:
        if f.category in REFUSING:
            out.append((os.path.realpath(work / f.path), f.line, f.message, Severity.ERROR))
    return out


def lint(work: Path, target: str, rules: RuleSet) -> Report:
    cwd = os.getcwd()
    os.chdir(work)
    try:
        # the syntax is what is compared: a mutation may leave no mark that tells a file is nginx's
        return run(LintOptions(paths=(target,), proxy="nginx", nginx_version=VERSION), rules)
    finally:
        os.chdir(cwd)


@dataclass(frozen=True)
class Outcome:
    case: Case
    nginx: Verdict
    main: list[tuple[str, int, str, Severity]]
    main_has_errors: bool
    fragment: list[tuple[str, int, str, Severity]] | None
    fragment_has_errors: bool

    @property
    def syntax(self) -> bool:
        """Whether the comparison applies: nginx accepted, or refused for a syntax reason."""
        return not self.nginx.refused or SYNTAX.match(self.nginx.message) is not None


@pytest.fixture(scope="session")
def outcomes(
    nginx_bin: str, env: Path, modules: list[str], rules: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Every case through nginx -t and wslint (~9 s), once per run: the pytest-xdist workers share it."""
    return build_once(
        tmp_path_factory, "nginx-syntax-outcomes", lambda _: compute_outcomes(nginx_bin, env, modules, rules)
    )


def compute_outcomes(nginx_bin: str, env: Path, modules: list[str], rules: RuleSet) -> dict[str, Outcome]:
    todo = all_cases()
    base = Path(tempfile.mkdtemp(prefix="wslint-syntax-"))
    works = {}
    for i, case in enumerate(todo):
        work = base / f"c{i}"
        work.mkdir()
        (work / ".git").mkdir()
        _wrap(case, work, env, modules)
        works[case.name] = work
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = pool.map(lambda c: nginx_verdict(nginx_bin, works[c.name], c.main), todo)
        verdicts = {case.name: verdict for case, verdict in zip(todo, found, strict=True)}
    out = {}
    for case in todo:
        work = works[case.name]
        report = lint(work, case.main, rules)
        fragment, frag_errors = None, False
        if case.fragment is not None:
            # alone: without the main file that includes it (wslint would lint it through that file)
            solo = base / f"{work.name}-alone"
            shutil.copytree(work, solo, symlinks=True)
            (solo / case.main).unlink()
            alone = lint(solo, case.fragment, rules)
            real_work, real_solo = os.path.realpath(work), os.path.realpath(solo)
            fragment = [
                (real_work + p[len(real_solo) :] if p.startswith(real_solo) else p, ln, msg, sev)
                for p, ln, msg, sev in wslint_refusals(alone, solo)
            ]
            frag_errors = alone.has_errors
        out[case.name] = Outcome(
            case, verdicts[case.name], wslint_refusals(report, work), report.has_errors, fragment, frag_errors
        )
    shutil.rmtree(base, ignore_errors=True)
    return out


def _check(o: Outcome) -> None:
    errors = [r for r in o.main if r[3] >= Severity.ERROR]
    if not o.nginx.refused:
        assert not errors, f"{o.case.name}: nginx accepts it, wslint refuses: {errors}"
        return
    if not o.syntax:
        _after_nginx_stopped(o, errors)
        return
    assert errors, f"{o.case.name}: nginx refuses it ({o.nginx.message} at {o.nginx.where}), wslint does not"
    if o.nginx.where is not None:
        path, line = o.nginx.where
        mine = sorted(ln for p, ln, _, _ in errors if p == path)
        assert mine and mine[0] == line, (
            f"{o.case.name}: nginx refuses {path}:{line} ({o.nginx.message}); wslint: {errors}"
        )


def _after_nginx_stopped(o: Outcome, errors: list[tuple[str, int, str, Severity]]) -> None:
    """nginx refused a value: wslint may know of a syntax error further on (nginx stopped before it
    read that far), never of one before, which nginx read without complaint."""
    if o.nginx.where is None:
        return
    path, line = o.nginx.where
    early = [e for e in errors if e[0] == path and e[1] < line]
    assert not early, f"{o.case.name}: nginx read up to {path}:{line} ({o.nginx.message}); wslint: {early}"


def _check_fragment(o: Outcome) -> None:
    assert o.fragment is not None
    errors = [r for r in o.fragment if r[3] >= Severity.ERROR]
    if not o.nginx.refused:
        assert not errors, f"{o.case.name} alone: nginx accepts it, wslint refuses: {errors}"
        return
    if not o.syntax:
        _after_nginx_stopped(o, errors)
        return
    assert o.nginx.where is not None
    path, line = o.nginx.where
    if o.nginx.message.startswith("unknown directive"):
        # the modules nginx.conf loads are unknown from a fragment: a warning, on nginx's line
        assert (path, line) in {(p, ln) for p, ln, _, _ in o.fragment}, f"{o.case.name} alone: {o.fragment}"
        return
    mine = sorted(ln for p, ln, _, _ in errors if p == path)
    assert mine and mine[0] == line, f"{o.case.name} alone: nginx refuses {path}:{line} ({o.nginx.message}); {errors}"


FIXTURE_NAMES = [os.path.relpath(p, FIXTURES) for p in cases()]


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_fixture_and_its_mutations_agree_with_nginx(fixture: str, outcomes: dict[str, Outcome]) -> None:
    mine = [o for name, o in outcomes.items() if name == fixture or name.startswith(fixture + "~")]
    assert len(mine) > 1
    for o in mine:
        _check(o)
        if o.fragment is not None:
            _check_fragment(o)


def test_the_comparison_covers_every_kind_of_syntax_error(outcomes: dict[str, Outcome]) -> None:
    compared = [o for o in outcomes.values() if "~" in o.case.name and o.syntax]
    refused = [o for o in compared if o.nginx.refused]
    assert len(compared) >= 200, len(compared)
    messages = {SYNTAX.match(o.nginx.message).group(1) for o in refused}  # type: ignore[union-attr]
    for kind in ("unexpected ", "unknown directive ", "invalid number of arguments"):
        assert kind in messages, sorted(messages)
    assert any("is not allowed here" in m for m in messages), sorted(messages)
    assert any("is not terminated by" in m for m in messages), sorted(messages)
    assert any("has no opening" in m for m in messages), sorted(messages)
    # every unmutated fixture is a configuration nginx has an opinion on for a syntax reason or none
    fixtures = [o for o in outcomes.values() if "~" not in o.case.name]
    assert all(o.syntax or o.nginx.message.startswith("unknown ") for o in fixtures), [
        (o.case.name, o.nginx.message) for o in fixtures if not o.syntax
    ]
