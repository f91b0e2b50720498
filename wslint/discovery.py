"""Which files wslint lints, and through which configuration each one is read.

A repository holds configurations of several proxies in any layout: nested
per-proxy folders, Debian's extensionless site files, a main file beside
subfolders of others. Every file whose name could be a proxy configuration is
looked at by content; a file that another one includes (an nginx snippet, a
Caddy import, a Traefik static file's dynamic directory) is linted as part of
the file that includes it, so that inherited headers, maps and defaults are
seen; every other configuration is a target of its own.

Nothing here parses more than it must: only files that can include others
(their text has the proxy's include keyword) have their includes resolved,
through the adapter, which is the authority on what a configuration reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wslint.adapters import ADAPTERS, AdapterOptions
from wslint.detect import detect
from wslint.findings import Diagnostic, Severity
from wslint.inputs import InputFile, display_path
from wslint.textfiles import is_regular_file, read_head

HEAD_BYTES = 65536

# name endings of files that can be some proxy's configuration (the content decides which, if any)
CANDIDATE_SUFFIXES = (".conf", ".cfg", ".yml", ".yaml", ".toml", ".json", ".caddyfile", ".caddy", ".nginx", ".vhost")
# Debian's site directories hold extensionless files (nginx) as well as *.conf (Apache)
SITE_DIRECTORIES = ("sites-available", "sites-enabled")
# never configurations a proxy reads: version control, dependencies, virtualenvs, caches
PRUNED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "__pycache__",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
    }
)


def is_candidate_name(path: str) -> bool:
    """Whether a file's name is one that some proxy's configuration has."""
    name = os.path.basename(path)
    lower = name.lower()
    if lower.endswith(CANDIDATE_SUFFIXES) or lower.startswith("caddyfile"):
        return True
    return os.path.basename(os.path.dirname(path)) in SITE_DIRECTORIES and not name.startswith(".")


def _pruned(directory: str) -> bool:
    name = os.path.basename(directory)
    if name in PRUNED_DIRECTORIES:
        return True
    # any virtualenv, whatever its name; a Helm chart's templates are rendered by helm, never read as they are
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg")) or (
        name == "templates" and os.path.isfile(os.path.join(os.path.dirname(directory), "Chart.yaml"))
    )


def repository_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that holds a `.git`."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _git_files(directory: Path) -> list[str] | None:
    """The files git sees under `directory` (tracked and untracked, .gitignore applied); None without git."""
    import subprocess  # only a directory argument asks git

    try:
        res = subprocess.run(
            ["git", "-C", str(directory), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    names = {n for n in res.stdout.decode("utf-8", errors="surrogateescape").split("\0") if n}
    return [str(directory / n) for n in sorted(names)]


def list_files(directory: Path) -> list[str]:
    """Every regular file under `directory` that a proxy could read, in a stable order."""
    listed = _git_files(directory) if repository_root(directory) is not None else None
    out: list[str] = []
    if listed is not None:
        for f in listed:
            parents = Path(os.path.relpath(f, directory)).parents
            if any(_pruned(str(directory / p)) for p in parents if str(p) != "."):
                continue
            out.append(f)
        return out
    for here, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not _pruned(os.path.join(here, d)))
        out.extend(os.path.join(here, f) for f in sorted(files))
    return out


@dataclass
class Candidate:
    """A file that could be a configuration, read once."""

    shown: str
    disk: str
    real: str
    text: str | None = None
    kind: str | None = None
    # every name (symbolic links included) under which the file was found
    names: list[str] = field(default_factory=list)


def _read(disk: str, max_bytes: int) -> str | None:
    data = read_head(disk, max_bytes)
    if data is None or b"\0" in data[:HEAD_BYTES]:
        return None
    return data[:max_bytes].decode("utf-8", errors="replace")


def _mentions(text: str, candidate: Candidate, includer_dir: str) -> bool:
    """Whether `text` could include `candidate`: it names the file or its directory, or globs beside it.
    Only a prefilter: the adapter resolves the includes that decide."""
    for name in candidate.names:
        if os.path.basename(name) in text or os.path.basename(os.path.dirname(name)) in text:
            return True
        if os.path.dirname(name) == includer_dir and "*" in text:
            return True
    return False


OptionsFor = Callable[[str], AdapterOptions]


class Finder:
    """The targets of one run, with everything read kept for the run (never across runs)."""

    def __init__(self, options_for: OptionsFor, proxy: str | None, max_bytes: int) -> None:
        self.options_for = options_for
        self.proxy = proxy
        self.max_bytes = max_bytes
        self._by_real: dict[str, Candidate] = {}
        self._closures: dict[str, set[str]] = {}
        self._listings: dict[str, list[Candidate]] = {}

    # -- reading ------------------------------------------------------------------------------

    def candidate(self, disk: str) -> Candidate:
        real = os.path.realpath(disk)
        found = self._by_real.get(real)
        if found is None:
            found = Candidate(display_path(disk), disk, real)
            found.text = _read(disk, self.max_bytes)
            # a binary file still has a name; the adapter then says what is wrong with its content
            found.kind = detect(found.shown, found.text[:HEAD_BYTES] if found.text is not None else "")
            self._by_real[real] = found
        if disk not in found.names:
            found.names.append(disk)
        return found

    def _listing(self, directory: Path) -> list[Candidate]:
        key = str(directory.resolve())
        if key not in self._listings:
            out: list[Candidate] = []
            seen: set[str] = set()
            for f in list_files(directory):
                if not is_candidate_name(f) or not is_regular_file(f):
                    continue
                c = self.candidate(f)
                if c.real not in seen:
                    seen.add(c.real)
                    out.append(c)
            self._listings[key] = out
        return self._listings[key]

    def closure(self, c: Candidate, kind: str) -> set[str]:
        """Real paths of the files `c` pulls in, itself excluded (empty when it includes nothing)."""
        adapter = ADAPTERS.get(kind)
        if adapter is None or adapter.includes is None or c.text is None:
            return set()
        marker = adapter.include_marker
        if marker is not None and not marker.search(c.text):
            return set()
        key = f"{kind}\0{c.real}"
        if key not in self._closures:
            try:
                found = adapter.includes(InputFile(c.shown, c.disk), self.options_for(kind))
            except RecursionError:
                found = set()
            self._closures[key] = found - {c.real}
        return self._closures[key]

    # -- directories ---------------------------------------------------------------------------

    def directory(self, directory: Path, diagnostics: list[Diagnostic]) -> list[tuple[InputFile, str]]:
        """The configurations a directory holds, each file once: the files no other one includes."""
        shown_dir = display_path(str(directory))
        real_dir = os.path.realpath(directory)
        taken: list[tuple[Candidate, str]] = []
        for c in self._listing(directory):
            if os.path.commonpath([real_dir, c.real]) != real_dir:
                diagnostics.append(_skip(c.shown, f"a symbolic link to {c.real}, outside {shown_dir}"))
                continue
            kind = self._kind_in_directory(c)
            if kind is None:
                reason = "not a proxy configuration" if c.text is not None else "not a readable text file"
                if c.kind is not None and self.proxy is not None:
                    reason = f"a {c.kind} configuration, not {self.proxy} (--proxy)"
                diagnostics.append(_skip(c.shown, reason))
                continue
            taken.append((c, kind))
        return [(InputFile(c.shown, c.disk), kind) for c, kind in self._tops(taken)]

    def _kind_in_directory(self, c: Candidate) -> str | None:
        if self.proxy is None:
            return c.kind
        if c.kind == self.proxy:
            return c.kind
        # content that says nothing, under a name that proxy uses: --proxy decides
        if c.kind is None and c.text is not None and _name_fits(c.shown, self.proxy):
            return self.proxy
        return None

    def _tops(self, taken: Sequence[tuple[Candidate, str]]) -> list[tuple[Candidate, str]]:
        """The candidates that no other includes; of a cycle with no way in, its first file."""
        included: set[str] = set()
        for c, kind in taken:
            included |= self.closure(c, kind)
        tops = [(c, kind) for c, kind in taken if c.real not in included]
        covered = {c.real for c, _ in tops}
        for c, kind in tops:
            covered |= self.closure(c, kind)
        for c, kind in taken:
            if c.real not in covered:
                tops.append((c, kind))
                covered |= {c.real} | self.closure(c, kind)
        groups = _read_together(tops)
        return [t for t in tops if groups.get(t[0].real, t[0].real) == t[0].real]

    # -- files and the configurations that include them ---------------------------------------

    def through_includers(
        self, inputs: Iterable[tuple[InputFile, str]], walked: Sequence[Path] = ()
    ) -> list[tuple[InputFile, str]]:
        """Each input, or the configurations that include it (a pre-commit hook sees only the changed
        snippet, which means nothing until it is placed where it is included).

        Inside a repository every file of the repository may include it; outside one, the main files of
        its directory and the two above (conf.d/, sites-*/ beside nginx.conf)."""
        out: list[tuple[InputFile, str]] = []
        for inp, kind in inputs:
            adapter = ADAPTERS.get(kind)
            if inp.disk_path is None or adapter is None or adapter.includes is None:
                out.append((inp, kind))
                continue
            here = self.candidate(inp.disk_path)
            if os.path.basename(inp.disk_path) in adapter.main_names:
                out.append((inp, kind))
                continue
            root = repository_root(Path(inp.disk_path).parent)
            if root is not None and any(_within(root, w) for w in walked):
                # the walk of a directory holding the whole repository has already seen every includer
                out.append((inp, kind))
                continue
            pool = self._repository_pool(root, kind) if root is not None else self._nearby_mains(here, kind)
            tops = self._includers(here, kind, pool)
            out.extend((InputFile(c.shown, c.disk), kind) for c in tops) if tops else out.append((inp, kind))
        seen: set[str] = set()
        unique: list[tuple[InputFile, str]] = []
        for inp, kind in out:
            key = os.path.realpath(inp.disk_path) if inp.disk_path else inp.path
            if key not in seen:
                seen.add(key)
                unique.append((inp, kind))
        return unique

    def _repository_pool(self, root: Path, kind: str) -> list[Candidate]:
        marker = ADAPTERS[kind].include_marker
        return [
            c
            for c in self._listing(root)
            if c.kind == kind and c.text is not None and (marker is None or marker.search(c.text))
        ]

    def _nearby_mains(self, here: Candidate, kind: str) -> list[Candidate]:
        parent = Path(here.disk).parent
        out: list[Candidate] = []
        for directory in (parent, *parent.parents)[:3]:
            for name in ADAPTERS[kind].main_names:
                if (directory / name).is_file():
                    out.append(self.candidate(str(directory / name)))
        return out

    def _includers(self, target: Candidate, kind: str, pool: Sequence[Candidate]) -> list[Candidate]:
        found: list[Candidate] = []
        # what the file itself includes cannot be where it is included from (a cycle names the file given)
        own = self.closure(target, kind)
        frontier = [target]
        while frontier:
            inner = frontier.pop()
            for c in pool:
                if c.real == target.real or c.real in own or c in found or c.text is None:
                    continue
                if not _mentions(c.text, inner, os.path.dirname(c.disk)):
                    continue
                if inner.real in self.closure(c, kind):
                    found.append(c)
                    frontier.append(c)
        # a file that includes an includer need not read the target itself (nginx resolves every include
        # against the main file's directory): only those that do are where it is linted
        reading = [c for c in found if target.real in self.closure(c, kind)]
        tops = [c for c in reading if not any(c.real in self.closure(o, kind) for o in reading if o is not c)]
        return tops or reading[:1]


def _name_fits(path: str, kind: str) -> bool:
    name = os.path.basename(path).lower()
    parent = os.path.basename(os.path.dirname(path))
    return {
        "nginx": name.endswith((".conf", ".nginx", ".vhost")) or parent in SITE_DIRECTORIES,
        "apache": name.endswith(".conf") or parent in SITE_DIRECTORIES,
        "haproxy": name.endswith(".cfg"),
        "traefik": name.endswith((".yml", ".yaml", ".toml")),
        "caddy": name.startswith("caddyfile") or name.endswith((".caddyfile", ".caddy")),
    }.get(kind, False)


def _read_together(tops: Sequence[tuple[Candidate, str]]) -> dict[str, str]:
    """For files an adapter reads together though none includes another (a Traefik file-provider
    directory), the one that is linted for all of them."""
    first: dict[str, str] = {}
    for c, kind in tops:
        group = ADAPTERS[kind].read_together
        if group is None:
            continue
        for member in sorted(group(InputFile(c.shown, c.disk))):
            first.setdefault(member, c.real)
        first.setdefault(c.real, c.real)
    return first


def _within(directory: Path, walked: Path) -> bool:
    """Whether a walk of `walked` covered all of `directory`."""
    outer, inner = os.path.realpath(walked), os.path.realpath(directory)
    return os.path.commonpath([outer, inner]) == outer


def _skip(shown: str, reason: str) -> Diagnostic:
    return Diagnostic("skipped", Severity.INFO, f"skipped {shown}: {reason}", shown)
