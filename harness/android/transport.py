"""The adb transport the Android driver stands on: pure-python-adb through an adb server, with timeouts.

Errors from ppadb and sockets are translated here into the harness's own, naming the device, the
command and the fix. Exit codes: ppadb opens the raw ``shell:`` service (no exit status, stderr
merged), so ``run`` appends a marker echo of ``$?``, which works the same on every Android phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ppadb.client import Client

from harness.errors import CommandFailed, DeviceTimeout, DeviceUnreachable

__all__ = ["AdbTransport", "ShellResult", "server_devices"]

_MARK = "__bgh_rc="
DEFAULT_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class ShellResult:
    command: str
    output: str  # stdout and stderr, merged as the raw shell service delivers them
    exit_code: int


def server_devices(host: str, port: int, timeout_s: float = 5.0) -> dict[str, str]:
    """``adb devices`` of the server at host:port: serial → state (device, offline, unauthorized, …)."""
    client = Client(host, port)
    try:
        conn = client.create_connection(timeout=timeout_s)
        with conn:
            conn.send("host:devices")
            text = conn.receive()
    except (RuntimeError, OSError) as exc:
        raise DeviceUnreachable(f"{host}:{port}", "host:devices", f"no adb server answers: {exc}",
                                f"start one with `adb -P {port} start-server` (or `harness lab up`)") from exc
    states: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            states[parts[0]] = parts[1]
    return states


class AdbTransport:
    def __init__(self, name: str, serial: str, host: str, port: int,
                 default_timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.name = name
        self.serial = serial
        self.host = host
        self.port = port
        self.default_timeout_s = default_timeout_s
        self._client = Client(host, port)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def state(self, timeout_s: float = 5.0) -> str:
        """``device``, ``offline``, ``unauthorized``, … or ``missing`` when the server does not list it."""
        return server_devices(self.host, self.port, timeout_s).get(self.serial, "missing")

    def device(self, timeout_s: float | None = None) -> Any:
        """The ppadb device object (for streaming services); raises when the server does not list it."""
        try:
            device = self._client.device(self.serial)
        except (RuntimeError, OSError) as exc:
            raise self._unreachable("host:transport", exc) from exc
        if device is None:
            raise DeviceUnreachable(self.name, "host:transport", f"{self.serial} is not listed by {self.server}",
                                    "check the cable / `adb connect`, then `harness devices`")
        return device

    def shell(self, command: str, timeout_s: float | None = None) -> str:
        """Raw shell output (stdout + stderr) of ``command``; no exit status."""
        timeout = timeout_s if timeout_s is not None else self.default_timeout_s
        try:
            device = self._client.device(self.serial)
        except (RuntimeError, OSError) as exc:
            raise self._unreachable(command, exc) from exc
        if device is None:
            raise DeviceUnreachable(self.name, command, f"{self.serial} is not listed by the adb server {self.server}",
                                    "check the cable / `adb connect`, then `harness devices`")
        try:
            out = device.shell(command, timeout=timeout)
        except TimeoutError as exc:
            raise DeviceTimeout(self.name, command, f"no answer within {timeout:g} s",
                                "the phone may be rebooting or stalled; check `harness devices`") from exc
        except (RuntimeError, OSError) as exc:
            raise self._unreachable(command, exc) from exc
        return str(out)

    def run(self, command: str, timeout_s: float | None = None) -> ShellResult:
        """``command`` with its exit status (read from a marker line the device echoes)."""
        out = self.shell(f"{command}; echo {_MARK}$?", timeout_s)
        head, sep, tail = out.rpartition(_MARK)
        if not sep:
            raise CommandFailed(self.name, command, f"the shell ended without its exit status: {out[-200:]!r}",
                                "the device may have dropped the connection mid-command")
        code = int(tail.strip() or "255")
        return ShellResult(command, head, code)

    def reboot(self, timeout_s: float = 10.0) -> None:
        """The adb ``reboot:`` service; returns once the phone drops the connection."""
        try:
            device = self._client.device(self.serial)
            if device is None:
                raise DeviceUnreachable(self.name, "reboot", f"{self.serial} is not listed by {self.server}")
            conn = device.create_connection(timeout=timeout_s)
            with conn:
                conn.send("reboot:")
                conn.read_all()
        except (TimeoutError, RuntimeError, OSError) as exc:
            raise self._unreachable("reboot", exc) from exc

    def check(self, command: str, timeout_s: float | None = None, ok: tuple[int, ...] = (0,)) -> str:
        """Run ``command``; a non-zero exit becomes CommandFailed with the device's own text."""
        result = self.run(command, timeout_s)
        if result.exit_code not in ok:
            raise CommandFailed(self.name, command, f"exit {result.exit_code}: {result.output.strip()[-300:]}",
                                exit_code=result.exit_code)
        return result.output

    def _unreachable(self, command: str, exc: BaseException) -> DeviceUnreachable:
        return DeviceUnreachable(self.name, command, f"adb server {self.server}: {exc}",
                                 f"is the adb server up (`adb -P {self.port} devices`) and {self.serial} attached?")
