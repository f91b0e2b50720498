"""The expanded nginx directive tree: includes spliced in, every node with its source.

This is the adapter's internal view (rules never see it). Contexts follow
nginx: `if` inside a location is the context "if" with the location as parent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from wslint.model import BlockRef, Position, Snippet, Source
from wslint.nginx.positions import LineIndex


@dataclass(eq=False)
class SourceFile:
    """A configuration file as read: its display path, text and line index."""

    path: str
    text: str
    index: LineIndex


# blocks with more children than this are indexed by name on first lookup (an index per block costs a
# dict and a list per name: more than the block itself when it holds a few lines)
_SMALL_BLOCK = 12


@dataclass(eq=False, slots=True)
class Directive:
    name: str
    args: tuple[str, ...]
    source: Source
    file: SourceFile
    context: tuple[str, ...]
    parent: Directive | None = None
    children: list[Directive] | None = None
    body: BlockRef | None = None
    included_from: Directive | None = None
    # the comments among its children, (line, text); most blocks have none, and most directives are no block
    comments: list[tuple[int, str]] | tuple[()] = ()
    # the line of the `;` or `{` that ends the directive: the line nginx names in its errors
    terminator_line: int | None = None
    _by_name: dict[str, list[Directive]] | None = field(default=None, repr=False)

    @property
    def is_block(self) -> bool:
        return self.children is not None

    def iter(self, name: str) -> Iterator[Directive]:
        """Direct children called `name` (includes already expanded).

        Indexed on first use, so that looking up a directive in the http block
        of a 10,000-server configuration does not rescan every server; the
        tree is complete (the loader is done) before anyone queries it.
        """
        if self._by_name is None:
            children = self.children
            if children is None or len(children) <= _SMALL_BLOCK:
                # a small block (most of them: a location's few lines) is scanned, not indexed
                return (child for child in children or () if child.name == name)
            index: dict[str, list[Directive]] = {}
            for child in children:
                index.setdefault(child.name, []).append(child)
            self._by_name = index
        return iter(self._by_name.get(name, ()))

    def first(self, name: str) -> Directive | None:
        return next(self.iter(name), None)

    def walk(self) -> Iterator[Directive]:
        """Every directive below this one, in document order (a block before its children)."""
        # one generator with a stack of open blocks: a generator per block made every directive of a
        # deep tree pass through each enclosing one
        stack = [iter(self.children or ())]
        while stack:
            for child in stack[-1]:
                yield child
                if child.children:
                    stack.append(iter(child.children))
                    break
            else:
                stack.pop()

    @property
    def visible_source(self) -> Source:
        """Where a user sees this directive: the outermost include line in the parent's file.

        A `proxy_set_header` from a snippet is reported at the `include` that
        pulled it into the block, because that is the line the reader of the
        block can see and change.
        """
        node: Directive = self
        while node.included_from is not None and (node.parent is None or node.parent.source.path != node.source.path):
            node = node.included_from
        return node.source

    def text(self) -> str:
        """The directive exactly as written (its whole block for block directives)."""
        end = self.source.end
        if end is None:
            return self.fallback_text()
        idx = self.file.index
        text = idx.text[idx.offset(self.source.start) : idx.offset(end)]
        # continuation lines lose the directive's own indentation, so the text
        # can be placed at any depth
        first = idx.line_text(self.source.line)
        indent = first[: len(first) - len(first.lstrip())]
        lines = text.split("\n")
        return "\n".join([lines[0], *(ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[1:])])

    def fallback_text(self) -> str:
        args = " ".join(_quote(a) for a in self.args)
        return f"{self.name} {args};" if args else f"{self.name};"

    def snippet(self) -> Snippet:
        return Snippet(self.name, self.args, self.text(), self.source, self.context)


def _quote(arg: str) -> str:
    if arg == "" or any(c.isspace() or c in "{};#'\"" for c in arg):
        return '"' + arg.replace('"', '\\"') + '"'
    return arg


def release(root: Directive) -> None:
    """Unlink a tree no one reads any more (parents, children, include links, indexes), so that reference
    counting frees it at once instead of the cycle collector, some time later."""
    stack = [root]
    while stack:
        d = stack.pop()
        if d.children:
            stack.extend(d.children)
        d.parent = d.children = d.included_from = d._by_name = None


def file_block(file: SourceFile) -> BlockRef:
    """The whole file as a block, for definitions added at the top of a fragment."""
    return BlockRef(
        path=file.path,
        opened_by=None,
        body_start=Position(1, 1),
        body_end=Position(file.index.last_line + 1, 1),
        indent="",
        child_indent="",
        close_on_own_line=True,
        open_ends_line=True,
    )
