"""One way nginx accepts a directive: where, with how many arguments, with or without a block."""

from __future__ import annotations

from dataclasses import dataclass

Version = tuple[int, ...]


@dataclass(frozen=True)
class Form:
    """One ngx_command_t of nginx, in words.

    `args` is nginx's argument check: "*" (any number), "flag" (one, `on` or
    `off`), "1+" or "2+" (at least that many), or the exact counts accepted
    ("0", "12", "123": no argument, one or two, one to three).
    """

    contexts: frozenset[str]
    args: str
    block: bool = False

    def accepts(self, count: int) -> bool:
        if self.args == "*":
            return True
        if self.args == "flag":
            return count == 1
        if self.args.endswith("+"):
            return count >= int(self.args[:-1])
        return str(count) in self.args if count <= 7 else False

    @property
    def flag(self) -> bool:
        return self.args == "flag"


def form(contexts: str, args: str, block: bool = False) -> Form:
    """A form from contexts written "http|server|location"."""
    return Form(frozenset(contexts.split("|")), args, block)
