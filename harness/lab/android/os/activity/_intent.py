"""Intents as ``am`` parses and prints them (``Intent.parseCommandArgs`` and ``Intent.toShortString``).

Field order in the printed form follows ``Intent.toShortString``: act, cat, dat, typ, flg, pkg, cmp,
then ``(has extras)``. ``am broadcast`` adds FLAG_RECEIVER_FROM_SHELL (0x400000) before printing, so
a real device prints ``Broadcasting: Intent { act=X flg=0x400000 pkg=P }`` (AMSC ``runSendBroadcast``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Intent", "IntentArgs", "UsageError", "expand_class", "parse_intent_args", "short_class"]

FLAG_INCLUDE_STOPPED_PACKAGES = 0x20
FLAG_RECEIVER_FROM_SHELL = 0x400000

# Options that take a value and only matter to the real framework; the lab accepts and ignores them.
_VALUE_OPTIONS = {"--user", "--display", "--windowingMode", "--activityType", "--task", "-P", "--start-profiler",
                  "--sampling", "--attach-agent", "--attach-agent-bind", "-R", "--receiver-permission",
                  "-t", "--allow-fgs-start-reason"}
_EXTRA_OPTIONS = {"--es", "--ei", "--ez", "--el", "--ef", "--eu", "--ecn", "--eia", "--ela", "--efa", "--esa",
                  "-e", "--esn"}
_FLAG_OPTIONS = {"-W", "-S", "-D", "-N", "--async", "--track-allocation", "--streaming", "--task-overlay",
                 "--lock-task", "--allow-background-activity-starts", "--splashscreen-show-icon",
                 "--dismiss-keyguard", "--include-stopped-packages", "--exclude-stopped-packages",
                 "--receiver-foreground", "--receiver-registered-only", "--receiver-replace-pending",
                 "--activity-clear-task", "--activity-new-task", "--activity-single-top", "--activity-clear-top"}


class UsageError(Exception):
    """A malformed command line: the text is what the real shell command prints on stderr."""


@dataclass
class Intent:
    action: str | None = None
    categories: list[str] = field(default_factory=list)
    data: str | None = None
    mime_type: str | None = None
    flags: int = 0
    package: str | None = None
    component: tuple[str, str] | None = None  # (package, fully qualified class)
    extras: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        parts: list[str] = []
        if self.action:
            parts.append(f"act={self.action}")
        if self.categories:
            parts.append("cat=[" + ",".join(self.categories) + "]")
        if self.data:
            parts.append(f"dat={self.data}")
        if self.mime_type:
            parts.append(f"typ={self.mime_type}")
        if self.flags:
            parts.append(f"flg=0x{self.flags:x}")
        if self.package:
            parts.append(f"pkg={self.package}")
        if self.component:
            pkg, cls = self.component
            parts.append(f"cmp={pkg}/{short_class(pkg, cls)}")
        if self.extras:
            parts.append("(has extras)")
        return "Intent { " + " ".join(parts) + " }"

    @property
    def target_package(self) -> str | None:
        return self.component[0] if self.component else self.package


@dataclass
class IntentArgs:
    intent: Intent
    wait: bool = False
    stop_first: bool = False
    include_stopped: bool = False


def expand_class(package: str, cls: str) -> str:
    """``ComponentName.unflattenFromString``: ``.Main`` → ``pkg.Main``."""
    return package + cls if cls.startswith(".") else cls


def short_class(package: str, cls: str) -> str:
    return cls[len(package):] if cls.startswith(package + ".") else cls


def _component(text: str) -> tuple[str, str]:
    pkg, sep, cls = text.partition("/")
    if not sep or not pkg or not cls:
        raise UsageError(f"Bad component name: {text}")
    return pkg, expand_class(pkg, cls)


def _take(args: list[str], i: int, opt: str) -> str:
    if i + 1 >= len(args):
        raise UsageError(f'Argument expected after "{opt}"')
    return args[i + 1]


def parse_intent_args(args: list[str]) -> IntentArgs:
    """The subset of ``Intent.parseCommandArgs`` plus am's start options a harness uses."""
    out = IntentArgs(Intent())
    intent = out.intent
    i = 0
    while i < len(args):
        opt = args[i]
        if opt in ("-a", "-c", "-d", "-t", "-n", "-p", "-f"):
            value = _take(args, i, opt)
            if opt == "-a":
                intent.action = value
            elif opt == "-c":
                intent.categories.append(value)
            elif opt == "-d":
                intent.data = value
            elif opt == "-t":
                intent.mime_type = value
            elif opt == "-n":
                intent.component = _component(value)
            elif opt == "-p":
                intent.package = value
            else:
                intent.flags |= int(value, 0)
            i += 2
        elif opt in _EXTRA_OPTIONS:
            key = _take(args, i, opt)
            intent.extras[key] = _take(args, i + 1, key) if opt not in ("--esn",) else ""
            i += 2 if opt == "--esn" else 3
        elif opt in _VALUE_OPTIONS:
            _take(args, i, opt)
            i += 2
        elif opt in _FLAG_OPTIONS:
            out.wait |= opt == "-W"
            out.stop_first |= opt == "-S"
            out.include_stopped |= opt == "--include-stopped-packages"
            i += 1
        elif opt.startswith("-") and len(opt) > 1:
            raise UsageError(f"Error: Unknown option: {opt}")
        else:
            _positional(intent, opt)
            i += 1
    return out


def _positional(intent: Intent, arg: str) -> None:
    """A bare argument: a component (``pkg/cls``), else a package name or data URI (parseCommandArgs)."""
    if "/" in arg and ":" not in arg:
        intent.component = _component(arg)
    elif ":" in arg:
        intent.data = arg
    else:
        intent.package = arg
