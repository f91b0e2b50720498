"""wslint as users get it: a wheel built from a copy of this checkout, installed into a fresh
virtual environment outside the checkout, with its dependencies from the package index pip is
configured with. Nothing the tests run through it can import code from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# build products and local environments: a clean checkout has none of them, and a stale
# build/ directory would hand its old files to the next wheel
LOCAL_ONLY = shutil.ignore_patterns(
    ".git",
    ".venv*",
    ".ci-venv-user",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "corpus*",
)


@dataclass(frozen=True)
class Installed:
    source: Path  # the copy of the checkout the wheel was built from (also the action's path)
    wheel: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def wslint(self) -> Path:
        return self.bin / "wslint"

    def env(self) -> dict[str, str]:
        """The caller's environment without anything that would point Python at the checkout."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env["PATH"] = os.pathsep.join([str(self.bin), env.get("PATH", "")])
        return env

    def run(self, *args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        if cwd.resolve().is_relative_to(REPO):
            raise ValueError(f"{cwd} is inside the checkout: the run could import from it")
        return subprocess.run(
            [str(self.wslint), *args], cwd=cwd, env=self.env(), capture_output=True, text=True, timeout=timeout
        )


def _check(cmd: list[str], cwd: Path) -> None:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")


def build_and_install(base: Path) -> Installed:
    """Copy the checkout to base/source, build its wheel, install it into base/venv."""
    if base.resolve().is_relative_to(REPO):
        raise ValueError(f"{base} is inside the checkout")
    source = base / "source"
    shutil.copytree(REPO, source, ignore=LOCAL_ONLY)
    dist = base / "dist"
    _check([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)], cwd=base)
    (wheel,) = dist.glob("wslint-*.whl")
    # the build leaves build/ and *.egg-info in the copy; later installs from it start clean
    shutil.rmtree(source / "build", ignore_errors=True)
    for info in source.glob("*.egg-info"):
        shutil.rmtree(info)
    venv = base / "venv"
    # the venv gets no pip of its own (bootstrapping one takes longer than the rest of the install):
    # the tests' pip installs into it, as it would with the venv's own pip
    _check([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    installed = Installed(source=source, wheel=wheel, venv=venv)
    _check([sys.executable, "-m", "pip", "--python", str(installed.python), "install", "-q", str(wheel)], cwd=base)
    return installed
