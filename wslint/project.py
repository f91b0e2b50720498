"""Where wslint's documentation lives: the one place every emitted link is made from.

wslint has no public address yet (no published package page, no repository URL:
the checkout has no remote), and a guessed one would send readers to someone
else's project. So REPOSITORY_URL is None and the formats name each rule's page
by its path in the repository (`docs/rules/<id>.md`, which `wslint explain`
renders too) instead of linking to it; formats whose link fields must hold
absolute URIs (SARIF's helpUri and informationUri, reviewdog's url) leave them
out. Once the repository is published, set REPOSITORY_URL to the address its
files are served under, ending in a slash (for GitHub
`https://github.com/OWNER/wslint/blob/main/`), and every format links there.
"""

from __future__ import annotations

REPOSITORY_URL: str | None = None
RULE_DOCS = "docs/rules"


def home() -> str | None:
    """The project's address, None until it has one."""
    return REPOSITORY_URL


def rule_doc_path(rule_id: str) -> str:
    """The rule's page, relative to the repository root."""
    return f"{RULE_DOCS}/{rule_id}.md"


def repository_link(path: str) -> str | None:
    """The absolute URL of a file of the repository, None while the repository has no address."""
    return None if REPOSITORY_URL is None else REPOSITORY_URL + path


def rule_doc_url(rule_id: str) -> str | None:
    return repository_link(rule_doc_path(rule_id))
