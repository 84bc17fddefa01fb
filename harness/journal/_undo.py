"""What one journal entry says to do to put a phone back: plain data, so another process can do it.

A closure dies with the run that made it; a SIGKILLed run must leave behind something the next run (or
``harness restore``) can read and act on. Each kind names one action a driver knows how to take:

- ``shell``: an Android shell command (``cmd appops set PKG RUN_ANY_IN_BACKGROUND allow``,
  ``dumpsys battery reset``, ``device_config delete NS KEY``, ...); ``check`` says whether a non-zero exit
  means the phone was not put back;
- ``adb-reverse``: remove the ``adb reverse`` of a device port (an adb host service, not a shell command);
- ``hub-port``: switch an iPhone's Cambrionix hub port back to a mode (``s`` sync + charge);
- ``location``: stop an iPhone's simulated location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

__all__ = ["KINDS", "Undo", "UndoKind"]

UndoKind = Literal["shell", "adb-reverse", "hub-port", "location"]
KINDS: tuple[UndoKind, ...] = ("shell", "adb-reverse", "hub-port", "location")


@dataclass(frozen=True, slots=True)
class Undo:
    kind: UndoKind
    args: dict[str, str] = field(default_factory=dict)
    check: bool = True  # a failure of this undo is a problem (False: best effort, e.g. revoking a grant)

    # -- the kinds --------------------------------------------------------------------------------
    @staticmethod
    def shell(command: str, *, check: bool = True) -> Undo:
        return Undo("shell", {"command": command}, check)

    @staticmethod
    def adb_reverse(device_port: int) -> Undo:
        return Undo("adb-reverse", {"device_port": str(int(device_port))})

    @staticmethod
    def hub_port(hub: str, port: str, mode: str = "s") -> Undo:
        """``hub`` is the hub API's ``host:port``; ``port`` its ``HUBSERIAL:N`` (the phone cannot be found
        by its USB serial while the port is off, so the entry names the port itself)."""
        return Undo("hub-port", {"hub": hub, "port": port, "mode": mode})

    @staticmethod
    def location() -> Undo:
        return Undo("location")

    # -- reading ----------------------------------------------------------------------------------
    def arg(self, name: str) -> str:
        try:
            return self.args[name]
        except KeyError:
            raise ValueError(f"an undo of kind {self.kind} needs {name!r}, this one has {sorted(self.args)}") from None

    def describe(self) -> str:
        """One line for logs and ``harness restore`` (``?`` for an argument the entry lacks)."""
        arg = self.args.get
        if self.kind == "shell":
            return arg("command", "?")
        if self.kind == "adb-reverse":
            return f"adb reverse --remove tcp:{arg('device_port', '?')}"
        if self.kind == "hub-port":
            return f"hub {arg('hub', '?')} port {arg('port', '?')} mode {arg('mode', '?')}"
        return "stop the simulated location"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "args": dict(self.args), "check": self.check}

    @staticmethod
    def from_json(data: object) -> Undo:
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            raise ValueError(f"not an undo: {data!r}")
        args = data.get("args", {})
        if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
            raise ValueError(f"undo args must be strings: {args!r}")
        return Undo(cast("UndoKind", data["kind"]), {str(k): v for k, v in args.items()}, bool(data.get("check", True)))
