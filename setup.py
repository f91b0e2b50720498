"""The package list for setuptools; everything else is in pyproject.toml.

pyproject.toml's `[tool.setuptools.packages.find]` only finds packages inside the
directories it searches, so it cannot also name wslint.rules, whose files live in
the top-level rules/ directory (mapped by `package-dir`). Discovery here keeps
both: every package under wslint/, found, and the rules and app profiles (apps/).
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["wslint", "wslint.*"]), "wslint.rules", "wslint.apps"])
