"""Project configuration: `.wslint.yaml`, or `[tool.wslint]` in `pyproject.toml`.

Found by walking up from the first linted path to the repository root (the
directory holding `.git`); without one, the walk stops at the user's home
directory and never reaches the filesystem root or a world-writable directory
(a `/tmp/.wslint.yaml` anyone could have left), nor takes a file another user owns.
`--config FILE` names one explicitly. Every key is validated: an unknown key or
a bad value is an error naming the key, because a misspelt `ignore:` that
silently ignores nothing is worse than no config. Command-line options win over
the file.

A configuration file lives in the repository it configures, so a pull request
can change it: in CI on a stranger's pull request it is untrusted input. It
may therefore narrow what wslint reads and spends, never widen it: `roots:`
and `rules:` must stay inside the repository (links resolved), and `limits:`
may only lower the defaults. Widening is for the command line (`--root`,
`--rules`, `--limit`), which the workflow's author writes, not the pull
request.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wslint import safe_yaml
from wslint.durations import parse_duration
from wslint.endpoints import Endpoint, EndpointError, parse_endpoint
from wslint.findings import Severity
from wslint.limits import Limits, parse_size
from wslint.textfiles import TextFileError, read_text

CONFIG_NAMES = (".wslint.yaml", ".wslint.yml")
PROXY_KINDS = ("nginx", "haproxy", "traefik", "apache", "caddy")
FAIL_ON = ("error", "warning", "info", "never")


class ConfigError(Exception):
    """A configuration file wslint cannot use; the message names the file and key."""


@dataclass(frozen=True)
class ProjectConfig:
    path: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)
    roots: tuple[tuple[str, str], ...] = ()
    idle_threshold: float | None = None
    fail_on: str | None = None
    rules: tuple[str, ...] = ()
    base_dir: str = "."
    limits: Limits = field(default_factory=Limits)
    # app profiles checked on every configuration, and whether others are recognized (None: not said)
    apps: tuple[str, ...] = ()
    recognize_apps: bool | None = None

    def ignored_for(self, path: str) -> tuple[str, ...]:
        """Rules ignored for a file by `per-path-ignores` (globs relative to the config's directory)."""
        if not self.per_path_ignores:
            return ()
        out: list[str] = []
        rel = _relative(path, self.base_dir)
        for pattern, rules in self.per_path_ignores:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path, pattern):
                out.extend(rules)
        return tuple(out)


def _relative(path: str, base: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(base).resolve()))
    except ValueError:
        return path


def _err(source: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: {key}: {message}")


def _strings(value: Any, source: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _err(source, key, "expected a list of strings")


def parse_config(data: Any, source: str, base_dir: str) -> ProjectConfig:
    if data is None:
        return ProjectConfig(path=source, base_dir=base_dir)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings")
    known = {
        "select", "ignore", "severity", "per-path-ignores", "endpoints", "versions", "roots",
        "idle-threshold", "fail-on", "rules", "limits", "apps", "recognize-apps",
    }  # fmt: skip
    for key in data:
        if key not in known:
            hint = f" (did you mean {key.replace('_', '-')!r}?)" if str(key).replace("_", "-") in known else ""
            raise _err(source, str(key), f"unknown key{hint}")
    severity: dict[str, Severity] = {}
    for rule, level in (data.get("severity") or {}).items():
        try:
            severity[str(rule)] = Severity.parse(str(level))
        except ValueError as exc:
            raise _err(source, f"severity.{rule}", str(exc)) from None
    ppi: list[tuple[str, tuple[str, ...]]] = []
    raw_ppi = data.get("per-path-ignores") or {}
    if not isinstance(raw_ppi, dict):
        raise _err(source, "per-path-ignores", "expected a mapping of glob: [rules]")
    for pattern, rules in raw_ppi.items():
        ppi.append((str(pattern), _strings(rules, source, f"per-path-ignores.{pattern}")))
    endpoints: list[Endpoint] = []
    raw_eps = data.get("endpoints") or []
    if not isinstance(raw_eps, list):
        raise _err(source, "endpoints", "expected a list")
    for i, item in enumerate(raw_eps):
        try:
            if isinstance(item, str):
                endpoints.append(parse_endpoint(item))
            elif isinstance(item, dict) and isinstance(item.get("url"), str) and set(item) <= {"url", "backend"}:
                endpoints.append(parse_endpoint(item["url"], item.get("backend")))
            else:
                raise _err(source, f"endpoints[{i}]", "expected a URL or {url: ..., backend: ...}")
        except EndpointError as exc:
            raise _err(source, f"endpoints[{i}]", str(exc)) from None
    versions = data.get("versions") or {}
    if not isinstance(versions, dict):
        raise _err(source, "versions", "expected a mapping of proxy: version")
    for kind, version in versions.items():
        if kind not in PROXY_KINDS:
            raise _err(source, f"versions.{kind}", f"unknown proxy (use {', '.join(PROXY_KINDS)})")
        if not isinstance(version, str | int | float):
            raise _err(source, f"versions.{kind}", "expected a version such as '1.24.0'")
    roots = data.get("roots") or {}
    if not isinstance(roots, dict):
        raise _err(source, "roots", "expected a mapping of server directory: local directory")
    for server in roots:
        if not str(server).startswith("/"):
            raise _err(source, f"roots.{server}", "the server directory must be absolute")
    threshold = None
    if "idle-threshold" in data:
        threshold = parse_duration(str(data["idle-threshold"]))
        if threshold is None:
            raise _err(source, "idle-threshold", f"not a duration: {data['idle-threshold']!r}")
    fail_on = data.get("fail-on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise _err(source, "fail-on", f"must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    recognize_apps = data.get("recognize-apps")
    if recognize_apps is not None and not isinstance(recognize_apps, bool):
        raise _err(source, "recognize-apps", "expected true or false")
    base = Path(base_dir)
    repository = repository_of(base)
    for server, local in roots.items():
        _inside_repository(base / str(local), repository, source, f"roots.{server}", "--root SERVER=LOCAL")
    for directory in _strings(data.get("rules") or [], source, "rules"):
        _inside_repository(base / directory, repository, source, "rules", "--rules DIR")
    return ProjectConfig(
        apps=_strings(data.get("apps") or [], source, "apps"),
        recognize_apps=recognize_apps,
        limits=_limits(data.get("limits"), source),
        path=source,
        select=_strings(data.get("select") or [], source, "select"),
        ignore=_strings(data.get("ignore") or [], source, "ignore"),
        severity=severity,
        per_path_ignores=tuple(ppi),
        endpoints=tuple(endpoints),
        versions={str(k): str(v) for k, v in versions.items()},
        roots=tuple((str(k), str(base / str(v))) for k, v in roots.items()),
        idle_threshold=threshold,
        fail_on=fail_on,
        rules=tuple(str(base / r) for r in _strings(data.get("rules") or [], source, "rules")),
        base_dir=base_dir,
    )


def repository_of(directory: Path) -> Path:
    """The repository a configuration file in `directory` belongs to: the nearest directory at or above
    it holding `.git`, else the directory itself."""
    here = directory.resolve()
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return here


def _inside_repository(path: Path, repository: Path, source: str, key: str, flag: str) -> None:
    real = os.path.realpath(path)
    top = str(repository)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        raise _err(
            source,
            key,
            f"{path} is outside the repository ({top}): a configuration file may not make wslint read "
            f"outside it; pass {flag} on the command line instead",
        )


def _limits(raw: Any, source: str) -> Limits:
    if raw is None:
        return Limits()
    if not isinstance(raw, dict):
        raise _err(source, "limits", f"expected a mapping of {', '.join(Limits.names())}")
    values: dict[str, int] = {}
    for key, value in raw.items():
        if key not in Limits.names():
            raise _err(source, f"limits.{key}", f"unknown limit (use {', '.join(Limits.names())})")
        number = parse_size(value)
        if number is None or number <= 0:
            raise _err(source, f"limits.{key}", f"expected a positive number (sizes may say 10MB), got {value!r}")
        name = str(key).replace("-", "_")
        default = getattr(Limits(), name)
        if number > default:
            raise _err(
                source,
                f"limits.{key}",
                f"{value!r} is above the default of {default}: a configuration file may only lower a limit; "
                f"pass --limit {key}={value} on the command line to raise it",
            )
        values[name] = number
    return Limits(**values)


def load_file(path: Path) -> ProjectConfig:
    shown = str(path)
    try:
        text = read_text(str(path), shown, Limits().file_size)
    except TextFileError as exc:
        raise ConfigError(str(exc)) from None
    if path.name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(text).get("tool", {}).get("wslint")
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{shown}: not valid TOML: {exc}") from None
        return parse_config(data, f"{shown} [tool.wslint]", str(path.parent))
    try:
        data = safe_yaml.load(text, shown)
    except safe_yaml.YamlError as exc:
        raise ConfigError(str(exc)) from None
    return parse_config(data, shown, str(path.parent))


def _has_tool_section(path: Path) -> bool:
    try:
        text = read_text(str(path), str(path), Limits().file_size)
    except TextFileError:
        return False
    if "wslint" not in text and "\\" not in text:
        # the name can only be in a table's key if it is written out (or spelled with an escape)
        return False
    import tomllib

    try:
        return "wslint" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        # broken TOML that mentions our table is ours to report
        return "[tool.wslint" in text


def discover(start: Path) -> Path | None:
    """The nearest config file from `start` upward, stopping at the repository root; outside a repository
    at the user's home directory, before the filesystem root or a world-writable directory."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    in_repository = any((d / ".git").exists() for d in (here, *here.parents))
    home = _home()
    for directory in (here, *here.parents):
        if not in_repository and (directory.parent == directory or _world_writable(directory)):
            return None
        for candidate in (*(directory / n for n in CONFIG_NAMES), directory / "pyproject.toml"):
            if not candidate.is_file() or (not in_repository and not _owned_by_us(candidate)):
                continue
            if candidate.name != "pyproject.toml" or _has_tool_section(candidate):
                return candidate
        if (directory / ".git").exists() or (not in_repository and directory == home):
            return None
    return None


def starter(apps: Mapping[str, Sequence[str]]) -> str:
    """The starter .wslint.yaml; the apps recognized in the configurations, and their endpoints, filled in."""
    if not apps:
        return STARTER
    endpoints = "".join(f"  - {url}   # {app}\n" for app, urls in apps.items() for url in urls)
    text = STARTER.replace("endpoints:\n", "endpoints:\n" + endpoints, 1)
    return text.replace("# apps: [mattermost]\n", f"apps: [{', '.join(apps)}]\n", 1)


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, OSError):
        return None


def _world_writable(directory: Path) -> bool:
    """Anyone may put a file there (/tmp, /var/tmp): a config found there is nobody's in particular."""
    try:
        return bool(os.stat(directory).st_mode & stat.S_IWOTH)
    except OSError:
        return True


def _owned_by_us(path: Path) -> bool:
    try:
        owner = os.stat(path).st_uid
    except OSError:
        return False
    return owner in (0, os.geteuid())


STARTER = """\
# wslint configuration. Every key is optional. The rules are documented in
# docs/rules/README.md of the wslint repository (`wslint explain RULE` shows a rule's page).

# The WebSocket URLs your clients open. With them wslint follows each handshake
# through the proxy (`wslint route` shows how) and checks the exact route.
# Add #backend=/path when the proxy is meant to change the path.
endpoints:
  # - wss://app.example.com/ws
  # - url: wss://app.example.com/realtime/socket
  #   backend: /socket

# The proxy versions you run: some defaults changed (nginx 1.29.7 talks
# HTTP/1.1 upstream by default) and some keywords come and go (HAProxy's
# removed options, Caddy's stream_close_delay since 2.7).
versions:
  # nginx: "1.24.0"
  # haproxy: "2.8"
  # traefik: "3.1.0"
  # apache: "2.4.62"
  # caddy: "2.8.4"

# Absolute include paths of the server, mapped to this repository.
roots:
  # /etc/nginx: deploy/nginx

# Apps whose documented WebSocket endpoints are checked (see `wslint apps`). wslint
# recognizes the apps a configuration proxies by their names (an upstream called
# mattermost); name them here to check them wherever they are proxied.
# apps: [mattermost]
# recognize-apps: true

# Rules by id, code or code prefix, in any case (see `wslint rules`).
# select: [WS1, WS5]
# ignore: [idle-timeout-short]

# Severity per rule: error, warning or info.
severity:
  # idle-timeout-short: error

# Rules ignored for some files (globs relative to this file).
per-path-ignores:
  # "legacy/*.conf": [WS104]

# Bounds on what wslint reads (defaults shown): file-size, files, include-depth,
# nesting, yaml-nodes.
# limits: {file-size: 10MB, files: 10000, include-depth: 64, nesting: 200, yaml-nodes: 2000000}

# Idle time a WebSocket must survive (idle-timeout rules).
# idle-threshold: 60s

# Lowest severity that fails the run: error, warning, info or never.
# fail-on: warning

# Directories with your own rule files.
# rules: [tools/wslint-rules]
"""
