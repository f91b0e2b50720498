"""Where wslint keeps what it compiled, and whether it may trust what is there.

Everything cached holds code objects or data that wslint loads and runs, so a
directory is only used when it belongs to the current user and nobody else can
write to it. `$WSLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/wslint`, else
`~/.cache/wslint`; `WSLINT_NO_CACHE=1` turns caching off.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def default_directory() -> Path | None:
    if os.environ.get("WSLINT_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("WSLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wslint"


def private(directory: Path) -> bool:
    """The directory exists (created if need be), is ours, and only we can write to it."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(directory)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
