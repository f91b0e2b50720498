"""Writing fixed files the way an administrator would: the real file, its metadata kept, all or nothing.

A deployed configuration is more than its text. Debian enables a site with a
symbolic link (`sites-enabled/app -> ../sites-available/app`), a file may
have several hard links, an owner and a mode the proxy relies on, extended
attributes (ACLs, an SELinux label), and an administrator may have made it
read-only on purpose. So:

- a path is resolved to the file it finally names, and that file is written
  (once, however many paths lead to it); the links stay links;
- a file is replaced atomically (the new text in a temporary file made with
  mkstemp in the same directory, owner, group, mode and extended attributes
  copied, fsync, rename) so readers see the old text or the new one;
- a file whose inode must stay (more than one hard link, an owner or group
  the process cannot give a new file, extended attributes it cannot copy) is
  rewritten in place instead, as editors do in that case. That gives up
  atomicity for the moment of the write, so it comes last: after every file
  was checked and every other file staged, with the original text saved
  next to it (`.NAME.XXXXXX.wslint-backup`, removed once the write went
  through) and restored if the write fails;
- every file is checked before any is written: a read-only file (no write
  permission for its owner: refused even for root, who could write it, since
  someone made it read-only on purpose), one the process may not write, one
  that changed since it was linted, or a directory without room for the
  temporary file refuses the whole run, and nothing is written;
- a failure while writing restores what was already written (best effort)
  and says which files were written, restored or left alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wslint.inputs import display_path


@dataclass(frozen=True)
class Identity:
    """Who writes: root may give a file any owner, anyone else only their own uid and groups."""

    uid: int
    groups: frozenset[int]

    @classmethod
    def current(cls) -> Identity:
        return cls(os.geteuid(), frozenset({os.getegid(), *os.getgroups()}))

    @property
    def root(self) -> bool:
        return self.uid == 0


@dataclass(frozen=True)
class Refusal:
    path: str
    reason: str


class WriteRefused(Exception):
    """Some file cannot be written; nothing was."""

    def __init__(self, refusals: Iterable[Refusal]) -> None:
        self.refusals = tuple(refusals)
        super().__init__("; ".join(f"{r.path}: {r.reason}" for r in self.refusals))


class WriteFailed(Exception):
    """Writing stopped half-way; what was written before is restored where possible."""

    def __init__(self, path: str, reason: str, restored: list[str], unrestored: list[str], untouched: list[str]):
        self.path = path
        self.reason = reason
        self.restored = restored
        self.unrestored = unrestored
        self.untouched = untouched
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class Written:
    """One file written: enough to say what changed and to put the old text back."""

    shown: tuple[str, ...]  # the paths the report names it by
    real: str
    in_place: bool
    old: bytes
    new: bytes
    meta: os.stat_result

    @property
    def name(self) -> str:
        """How to name the file to the user: the real file, relative where possible."""
        return display_path(self.real)


@dataclass
class _Target:
    shown: list[str]
    real: str
    new: bytes
    old: bytes = b""
    meta: os.stat_result | None = None
    in_place: bool = False
    staged: str | None = None  # replace: the new text; in place: the backup of the old one
    fd: int | None = None  # in place: the file, opened for writing
    torn: bool = False  # in place: a write failed and so did putting the old text back


def _real(path: str) -> str:
    return os.path.realpath(path)


def _called(shown: str, real: str) -> str:
    """The path the report uses, and the file it leads to when that is another."""
    name = display_path(real)
    return shown if name == shown else f"{shown} (-> {name})"


def _mode(meta: os.stat_result) -> str:
    return f"{stat.S_IMODE(meta.st_mode):04o}"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _keeps_inode(meta: os.stat_result, who: Identity) -> bool:
    """A new file would lose something only the old inode has."""
    if meta.st_nlink > 1:
        return True
    if who.root:
        return False
    return meta.st_uid != who.uid or meta.st_gid not in who.groups


def refusal(real: str, meta: os.stat_result, who: Identity) -> str | None:
    """Why the file must not be written, or None."""
    if not stat.S_ISREG(meta.st_mode):
        return "it is not a regular file"
    if not meta.st_mode & stat.S_IWUSR:
        # root could write it, but the mode says someone decided it is not to be changed
        return f"it is read-only (mode {_mode(meta)}); make it writable if --fix may change it"
    if not who.root and not os.access(real, os.W_OK):
        return f"you have no permission to write it (mode {_mode(meta)}, owner uid {meta.st_uid})"
    return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _xattrs(path: str | int) -> list[str]:
    try:
        return os.listxattr(path)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return []
        raise


def _copy_metadata(fd: int, source: str, meta: os.stat_result) -> None:
    """Owner, group, mode and extended attributes (ACLs, SELinux label) of `source` onto `fd`."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (meta.st_uid, meta.st_gid):
        os.fchown(fd, meta.st_uid, meta.st_gid)
    # after chown, which clears set-id bits
    os.fchmod(fd, stat.S_IMODE(meta.st_mode))
    wanted = _xattrs(source)
    for name in wanted:
        os.setxattr(fd, name, os.getxattr(source, name))
    for name in set(_xattrs(fd)) - set(wanted):
        # inherited by the new file (a directory's default ACL) but not on the old one
        with contextlib.suppress(OSError):
            os.removexattr(fd, name)


def _temp(real: str, suffix: str) -> tuple[int, str]:
    directory, name = os.path.split(real)
    try:
        return tempfile.mkstemp(prefix=f".{name}.", suffix=suffix, dir=directory)
    except OSError as exc:
        raise _Refuse(f"cannot create a temporary file in {display_path(directory)}: {_why(exc)}") from None


class _Refuse(Exception):
    pass


def _stage_replace(t: _Target, data: bytes) -> bool:
    """The new text, with the old file's metadata, in a temporary file; False when the metadata cannot be kept."""
    assert t.meta is not None
    fd, tmp = _temp(t.real, ".wslint-new")
    kept = False
    try:
        try:
            _write_all(fd, data)
        except OSError as exc:
            raise _Refuse(f"cannot write a temporary file next to it: {_why(exc)}") from None
        try:
            _copy_metadata(fd, t.real, t.meta)
        except OSError:
            return False
        try:
            os.fsync(fd)  # text and metadata on disk before the rename makes them the file
        except OSError as exc:
            raise _Refuse(f"cannot write a temporary file next to it: {_why(exc)}") from None
        kept = True
    finally:
        os.close(fd)
        if not kept:
            os.unlink(tmp)
    t.staged = tmp
    return True


def _stage_in_place(t: _Target) -> None:
    """Open the file for writing (it must accept that) and save its old text beside it."""
    try:
        t.fd = os.open(t.real, os.O_WRONLY)
    except OSError as exc:
        raise _Refuse(f"cannot open it for writing: {_why(exc)}") from None
    fd, tmp = _temp(t.real, ".wslint-backup")
    try:
        _write_all(fd, t.old)
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        os.unlink(tmp)
        raise _Refuse(f"cannot save a backup of it next to it: {_why(exc)}") from None
    os.close(fd)
    t.staged = tmp


def _discard(t: _Target) -> None:
    if t.fd is not None:
        os.close(t.fd)
        t.fd = None
    if t.staged is not None and os.path.exists(t.staged):
        os.unlink(t.staged)
    t.staged = None


def _rewrite(fd: int, data: bytes) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    _write_all(fd, data)
    os.ftruncate(fd, len(data))
    os.fsync(fd)


def _sync_directory(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not sync directories; the rename itself is done
    finally:
        os.close(fd)


def _commit(t: _Target) -> None:
    assert t.staged is not None
    if t.in_place:
        assert t.fd is not None
        try:
            _rewrite(t.fd, t.new)
        except OSError:
            try:
                _rewrite(t.fd, t.old)
            except OSError:
                t.torn = True
            raise
        os.close(t.fd)
        t.fd = None
        os.unlink(t.staged)
    else:
        os.replace(t.staged, t.real)
        _sync_directory(t.real)
    t.staged = None


def _targets(new_texts: Mapping[str, str]) -> list[_Target]:
    by_real: dict[str, _Target] = {}
    for shown in sorted(new_texts):
        real = _real(shown)
        data = new_texts[shown].encode("utf-8")
        t = by_real.get(real)
        if t is None:
            by_real[real] = _Target([shown], real, data)
        elif t.new == data:
            t.shown.append(shown)
        else:
            # fixer.plan gives each real file one path per pass; two different texts would be a bug
            raise WriteRefused([Refusal(shown, f"two different fixes for {display_path(real)} in one pass")])
    return sorted(by_real.values(), key=lambda t: t.real)


def write_files(
    new_texts: Mapping[str, str],
    linted: Mapping[str, str],
    later: Iterable[str] = (),
    who: Identity | None = None,
) -> list[Written]:
    """Write `new_texts` (by the paths the report uses) to the files they name, or refuse them all.

    `linted` holds the text each path had when it was linted: a file that no
    longer holds it is refused. `later` names files that fixes of a later
    pass will write: they must be writable and unchanged too, so that a
    refusal comes before the first write.
    """
    who = who or Identity.current()
    targets = _targets(new_texts)
    refusals: list[Refusal] = []
    for t in targets:
        shown = _called(t.shown[0], t.real)
        try:
            t.meta = os.stat(t.real)
            t.old = Path(t.real).read_bytes() if stat.S_ISREG(t.meta.st_mode) else b""
        except OSError as exc:
            refusals.append(Refusal(shown, f"cannot read it again: {_why(exc)}"))
            continue
        reason = refusal(t.real, t.meta, who)
        if reason is None and any(t.old != linted[s].encode("utf-8") for s in t.shown if s in linted):
            reason = "it changed since wslint read it"
        if reason is not None:
            refusals.append(Refusal(shown, reason))
        t.in_place = _keeps_inode(t.meta, who)
    written_reals = {t.real for t in targets}
    for path in sorted(set(later)):
        real = _real(path)
        if real in written_reals:
            continue
        try:
            reason = refusal(real, os.stat(real), who)
            if reason is None and path in linted and Path(real).read_bytes() != linted[path].encode("utf-8"):
                reason = "it changed since wslint read it"
        except OSError as exc:
            reason = f"cannot read it again: {_why(exc)}"
        if reason is not None:
            refusals.append(Refusal(_called(path, real), reason))
    if refusals:
        raise WriteRefused(refusals)
    try:
        for t in targets:
            try:
                if t.in_place or not _stage_replace(t, t.new):
                    t.in_place = True
                    _stage_in_place(t)
            except _Refuse as exc:
                raise WriteRefused([Refusal(_called(t.shown[0], t.real), str(exc))]) from None
    except BaseException:
        for t in targets:
            _discard(t)
        raise
    # files rewritten in place last: when one of them fails, the atomic ones are easy to undo
    order = sorted(targets, key=lambda t: t.in_place)
    done: list[Written] = []
    for i, t in enumerate(order):
        try:
            _commit(t)
        except OSError as exc:
            for rest in order[i + 1 :]:
                _discard(rest)
            restored, unrestored = restore(done)
            if t.torn and t.staged is not None:
                # the backup is all that is left of the old text: it stays
                unrestored.append(f"{display_path(t.real)} (its old text is in {display_path(t.staged)})")
                t.staged = None
            _discard(t)
            raise WriteFailed(
                display_path(t.real),
                _why(exc),
                restored,
                unrestored,
                [display_path(r.real) for r in order[i + 1 :]],
            ) from None
        assert t.meta is not None
        done.append(Written(tuple(t.shown), t.real, t.in_place, t.old, t.new, t.meta))
    return done


def restore(written: Iterable[Written]) -> tuple[list[str], list[str]]:
    """Put the old text back into files written earlier, newest first; a file changed since is left alone.

    Returns the files restored and the ones that could not be (with why).
    """
    restored: list[str] = []
    unrestored: list[str] = []
    for w in reversed(list(written)):
        name = w.name
        try:
            with open(w.real, "rb") as fh:
                if fh.read() != w.new:
                    unrestored.append(f"{name} (it changed again meanwhile)")
                    continue
            t = _Target(list(w.shown), w.real, new=w.old, meta=w.meta)
            if not w.in_place and _stage_replace(t, w.old):
                assert t.staged is not None
                os.replace(t.staged, w.real)
                _sync_directory(w.real)
            else:
                # the file wslint wrote already has the old metadata: its text goes back in place
                fd = os.open(w.real, os.O_WRONLY)
                try:
                    _rewrite(fd, w.old)
                finally:
                    os.close(fd)
            restored.append(name)
        except (OSError, _Refuse) as exc:
            unrestored.append(f"{name} ({_why(exc) if isinstance(exc, OSError) else exc})")
    return restored, unrestored


class ReportNotWritten(Exception):
    """A report, baseline or starter file could not be written: `path` as given, and why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason


def write_reports(files: Mapping[str, str]) -> None:
    """Write files wslint makes (a report, a baseline, a starter config), all of them or none.

    Unlike a fixed configuration, such a file is wslint's own output: a path
    that is a symbolic link (one a pull request can commit, pointing anywhere
    the CI runner may write) is replaced by the new file, never written
    through. Each text goes to a temporary file made by mkstemp next to its
    path (never a predictable name, which a link could sit on), is synced, and
    only when every one is staged are they renamed into place; a failure
    (no space, a read-only file system, no permission) removes what was staged
    and raises ReportNotWritten naming the file.
    """
    staged: list[tuple[str, str]] = []
    try:
        for path, text in files.items():
            if os.path.isdir(path) and not os.path.islink(path):
                raise ReportNotWritten(path, "it is a directory")
            directory, name = os.path.split(path)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".wslint-tmp", dir=directory or ".")
            except OSError as exc:
                raise ReportNotWritten(path, _why(exc)) from None
            staged.append((tmp, path))
            try:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(fd, 0o666 & ~umask)
                _write_all(fd, text.encode("utf-8"))
                os.fsync(fd)
            except OSError as exc:
                raise ReportNotWritten(path, _why(exc)) from None
            finally:
                os.close(fd)
        for i, (tmp, path) in enumerate(staged):
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise ReportNotWritten(path, _why(exc)) from None
            staged[i] = ("", path)
            _sync_directory(path)
    finally:
        for tmp, _ in staged:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
