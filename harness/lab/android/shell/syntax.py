"""The tree the lab's mksh parser builds: words (literal text and expansions) and commands. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "AndOr", "Arith", "Case", "CmdSub", "Command", "For", "FuncDef", "Group", "If", "Lit", "Param", "Part",
    "Pipeline", "Redirect", "Script", "ShellSyntaxError", "SimpleCommand", "While", "Word",
]


class ShellSyntaxError(Exception):
    """The message is what mksh prints after ``/system/bin/sh: ``."""


# -- words -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Lit:
    text: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class Param:
    name: str  # a variable name, a digit string, or one of ? # @ * $ ! 0 -
    op: str = ""  # "" ":-" "-" ":=" "=" ":+" "+" ":?" "?" "#" "##" "%" "%%", or "len" for ${#name}
    arg: Word | None = None
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class CmdSub:
    body: Script
    quoted: bool


@dataclass(frozen=True, slots=True)
class Arith:
    expr: Word  # expanded to text, then evaluated
    quoted: bool


Part = Lit | Param | CmdSub | Arith


@dataclass(frozen=True, slots=True)
class Word:
    parts: tuple[Part, ...]
    raw: str = ""

    @property
    def plain(self) -> str | None:
        """The word's text if it is one unquoted literal (a reserved word, a name, a glob), else None."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Lit) and not self.parts[0].quoted:
            return self.parts[0].text
        return None


# -- commands --------------------------------------------------------------------------------------

@dataclass(slots=True)
class Redirect:
    fd: int
    op: str  # ">", ">>", "<", ">&" (target: an fd), "close", "<<" (target: the body, set at the next newline)
    target: Word | int


@dataclass(slots=True)
class SimpleCommand:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    assigns: list[tuple[str, Word]] = field(default_factory=list)
    # ``[[ … ]]``: words expand without field splitting or globbing; the operand after ``==``/``!=`` is a pattern
    literal: bool = False


@dataclass(slots=True)
class If:
    branches: list[tuple[Script, Script]]
    orelse: Script | None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class For:
    var: str
    items: list[Word] | None  # None: "$@"
    body: Script
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class While:
    cond: Script
    body: Script
    until: bool
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Case:
    word: Word
    arms: list[tuple[list[Word], Script]]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    body: Script
    subshell: bool
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class FuncDef:
    name: str
    body: Command
    redirects: list[Redirect] = field(default_factory=list)


Command = SimpleCommand | If | For | While | Case | Group | FuncDef


@dataclass(slots=True)
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass(slots=True)
class AndOr:
    # first pipeline, then (operator, pipeline) pairs with operator "&&" or "||"
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


Script = list[AndOr]
