"""The adb transport the Android driver stands on: pure-python-adb through an adb server, with timeouts.

Errors from ppadb and sockets are translated here into the harness's own, naming the device, the
command and the fix. Exit codes: ``run`` opens ``shell,v2,raw:`` (the shell protocol every phone since
Android 7 offers as ``shell_v2``), whose last packet is the exit status, so a verb is one round trip that runs
just its command; stdout and stderr are merged in arrival order, as the raw ``shell:`` service delivers them.
A phone without ``shell_v2`` (asked once per transport) gets the raw service with a marker echo of ``$?``.

Every call, device lookup included, runs against one deadline (``_adbwire``): a stopped adb server
costs a caller its timeout, never more. When the server is gone (nothing listens), a transport that
has a ``ServerRecovery`` (the lab's private server, or one the config names restartable) restarts
it, reconnects the TCP phones and retries the command once: a refused connection means the command
never reached the phone. A command cut off mid-way is not retried (it may have run); its error says so.
An owned server that does not answer because its process is stopped (SIGSTOP) is killed within the
call's bound, so the next call restarts it; a running but slow one is left alone.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from ppadb.client import Client
from ppadb.device import Device

from harness.android import _adbwire as wire
from harness.android._recovery import ServerRecovery
from harness.errors import CommandFailed, DeviceTimeout, DeviceUnreachable

__all__ = ["AdbTransport", "ServerRecovery", "ShellResult", "server_answers", "server_devices"]

T = TypeVar("T")
_Reader = Callable[[socket.socket, float], tuple[bytes, int | None]]

_MARK = "__bgh_rc="
DEFAULT_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class ShellResult:
    command: str
    output: str  # stdout and stderr, merged as the raw shell service delivers them
    exit_code: int


def server_devices(host: str, port: int, timeout_s: float = 5.0) -> dict[str, str]:
    """``adb devices`` of the server at host:port: serial → state (device, offline, unauthorized, …)."""
    try:
        text = wire.host_query(host, port, "host:devices", time.monotonic() + timeout_s)
    except (wire.ServerGone, wire.WireError, OSError) as exc:  # ServerSilent and TimeoutError are OSErrors
        raise DeviceUnreachable(f"{host}:{port}", "host:devices", f"no adb server answers: {exc}",
                                f"start one with `adb -P {port} start-server` (or `harness lab up`)") from exc
    states: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            states[parts[0]] = parts[1]
    return states


def server_answers(host: str, port: int, timeout_s: float = 2.0) -> bool:
    """Whether an adb server answers ``host:version`` at host:port within ``timeout_s``."""
    try:
        wire.host_query(host, port, "host:version", time.monotonic() + timeout_s)
    except (wire.ServerGone, wire.WireError, OSError):
        return False
    return True


def _to_end(sock: socket.socket, deadline: float) -> tuple[bytes, int | None]:
    return wire.read_to_end(sock, deadline), None


def _message(sock: socket.socket, deadline: float) -> tuple[bytes, int | None]:
    return wire.read_message(sock, deadline).encode(), None


class AdbTransport:
    def __init__(self, name: str, serial: str, host: str, port: int,
                 default_timeout_s: float = DEFAULT_TIMEOUT_S, recovery: ServerRecovery | None = None) -> None:
        self.name = name
        self.serial = serial
        self.host = host
        self.port = port
        self.default_timeout_s = default_timeout_s
        self.recovery = recovery  # how to bring the server back when it dies; None = not ours to restart
        self.recoveries: list[str] = []  # what recovery did, for the test's log and report
        self._client = Client(host, port)
        self._shell_v2: bool | None = None  # whether the phone offers shell_v2 (asked at the first run)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def state(self, timeout_s: float = 5.0) -> str:
        """``device``, ``offline``, ``unauthorized``, … or ``missing`` when the server does not list it.

        A dead server the harness owns is restarted first (health checks ask this before any verb)."""
        return self._with_recovery("host:devices",
                                   lambda: server_devices(self.host, self.port, timeout_s).get(self.serial, "missing"))

    def device(self, timeout_s: float | None = None) -> Any:
        """The ppadb device object (for streaming services); raises when the server does not list it.

        The lookup is bounded here (ppadb's own ``Client.device`` has no timeout); callers give the
        device's connections their own timeout (``create_connection(timeout=...)``).
        """
        timeout = timeout_s if timeout_s is not None else self.default_timeout_s
        state = self.state(timeout)
        if state == "missing":
            raise DeviceUnreachable(self.name, "host:transport", f"{self.serial} is not listed by {self.server}",
                                    "check the cable / `adb connect`, then `harness devices`")
        return Device(self._client, self.serial)

    def shell(self, command: str, timeout_s: float | None = None) -> str:
        """Raw shell output (stdout + stderr) of ``command``; no exit status. Bounded by ``timeout_s`` in all."""
        timeout = timeout_s if timeout_s is not None else self.default_timeout_s
        out = self._with_recovery(command, lambda: self._service(f"shell:{command}", command, timeout, _to_end))
        return out[0].decode("utf-8", "replace")

    def query(self, service: str, timeout_s: float | None = None) -> str:
        """A device service whose answer is one length-prefixed message (``reverse:list-forward``: adbd sends
        it after the server's OKAY). Bounded by ``timeout_s`` in all."""
        timeout = timeout_s if timeout_s is not None else self.default_timeout_s
        out = self._with_recovery(service, lambda: self._service(service, service, timeout, _message))
        return out[0].decode("utf-8", "replace")

    def _service(self, service: str, command: str, timeout: float, read: _Reader) -> tuple[bytes, int | None]:
        """Open ``service`` on the phone and ``read`` it to its end, all within ``timeout``."""
        deadline = time.monotonic() + timeout
        try:
            sock = wire.open_service(self.host, self.port, self.serial, service, deadline)
        except wire.ServerSilent as exc:
            raise self._silent(command, timeout) from exc
        except wire.WireError as exc:
            problem = (f"{self.serial} is not listed by the adb server {self.server}" if "not found" in exc.message
                       else f"adb server {self.server}: {exc.message}")
            raise DeviceUnreachable(self.name, command, problem,
                                    "check the cable / `adb connect`, then `harness devices`") from exc
        except TimeoutError as exc:
            raise self._timeout(command, timeout) from exc
        except OSError as exc:
            raise self._unreachable(command, exc) from exc
        with sock:
            try:
                return read(sock, deadline)
            except TimeoutError as exc:
                raise self._timeout(command, timeout) from exc
            except OSError as exc:
                raise self._unreachable(command, exc) from exc

    def _with_recovery(self, what: str, call: Callable[[], T]) -> T:
        """``call()``; when nothing listens at the server's address, restart it (if ours) and call once more."""
        try:
            return call()
        except wire.ServerGone as exc:
            gone: Exception = exc
        except DeviceUnreachable as exc:
            if not (isinstance(exc.__cause__, wire.ServerGone) or self._forgotten(exc)):
                raise
            gone = exc
        if self.recovery is None:
            raise DeviceUnreachable(self.name, what, f"no adb server at {self.server} ({gone})",
                                    f"start it (`adb -P {self.port} start-server`) and reconnect the phones; the "
                                    "harness restarts only servers it owns (the lab's, or adb_server_restartable)")
        did = self.recovery.restart(self.name, self.serial)
        self.recoveries.append(f"{what}: {did}; retried once")
        try:
            return call()
        except wire.ServerGone as exc:
            raise DeviceUnreachable(self.name, what, f"{did}, but it is gone again",
                                    "check `harness lab status` / `harness devices`") from exc

    def _forgotten(self, exc: DeviceUnreachable) -> bool:
        """A TCP phone our own server does not list while that server is being (or was just) restarted by another
        thread: a restarted server forgets ``adb connect`` state; reconnecting it (under the restart's lock) is the
        same recovery. A phone disconnected otherwise stays an error (it may really be gone)."""
        cause = exc.__cause__
        return (self.recovery is not None and self.serial in self.recovery.serials
                and isinstance(cause, wire.WireError) and "not found" in cause.message
                and self.recovery.restarting_or_recent())

    def run(self, command: str, timeout_s: float | None = None) -> ShellResult:
        """``command`` with its exit status, in one round trip (see the module's docstring)."""
        timeout = timeout_s if timeout_s is not None else self.default_timeout_s
        if not self._offers_shell_v2(timeout):
            return self._run_marked(command, timeout)
        out, code = self._with_recovery(
            command, lambda: self._service(f"shell,v2,raw:{command}", command, timeout, wire.read_shell_v2))
        text = out.decode("utf-8", "replace")
        if code is None:
            self._lost_status(command, text)
        return ShellResult(command, text, code)

    def _offers_shell_v2(self, timeout: float) -> bool:
        if self._shell_v2 is None:
            features = self._with_recovery("host-serial:features", lambda: self._features(timeout))
            self._shell_v2 = "shell_v2" in features.split(",")
        return self._shell_v2

    def _features(self, timeout: float) -> str:
        try:
            return wire.host_query(self.host, self.port, f"host-serial:{self.serial}:features",
                                   time.monotonic() + timeout)
        except wire.WireError as exc:
            raise DeviceUnreachable(self.name, "features", f"adb server {self.server}: {exc.message}",
                                    "check the cable / `adb connect`, then `harness devices`") from exc
        except (wire.ServerSilent, TimeoutError) as exc:
            raise self._silent("features", timeout) from exc
        except OSError as exc:
            raise self._unreachable("features", exc) from exc

    def _run_marked(self, command: str, timeout: float) -> ShellResult:
        """A phone without shell_v2: the raw service, with ``$?`` echoed after a marker."""
        out = self.shell(f"{command}; echo {_MARK}$?", timeout)
        head, sep, tail = out.rpartition(_MARK)
        if not sep:
            self._lost_status(command, out)
        return ShellResult(command, head, int(tail.strip() or "255"))

    def _lost_status(self, command: str, out: str) -> NoReturn:
        self._check_interrupted(command)
        raise CommandFailed(self.name, command, f"the shell ended without its exit status: {out[-200:]!r}",
                            "the device may have dropped the connection mid-command")

    def _check_interrupted(self, command: str) -> None:
        """A shell cut off mid-command: if the adb server died under it, bring it back but do not re-run
        the command (it may have run), and say so."""
        if server_answers(self.host, self.port):
            return
        if self.recovery is None:
            raise DeviceUnreachable(self.name, command, f"the adb server {self.server} died during the command",
                                    f"start it (`adb -P {self.port} start-server`) and reconnect the phones")
        did = self.recovery.restart(self.name, self.serial)
        self.recoveries.append(f"{command}: {did}; not retried")
        raise DeviceUnreachable(self.name, command, f"the adb server {self.server} died during the command; {did}",
                                "the command was not retried: it may have run on the phone")

    def reboot(self, timeout_s: float = 10.0) -> None:
        """The adb ``reboot:`` service; returns once the phone drops the connection."""
        deadline = time.monotonic() + timeout_s
        try:
            with wire.open_service(self.host, self.port, self.serial, "reboot:", deadline) as sock:
                wire.read_to_end(sock, deadline)
        except wire.WireError as exc:
            raise DeviceUnreachable(self.name, "reboot", f"adb server {self.server}: {exc.message}") from exc
        except (wire.ServerGone, OSError) as exc:  # TimeoutError included
            raise self._unreachable("reboot", exc) from exc

    def check(self, command: str, timeout_s: float | None = None, ok: tuple[int, ...] = (0,)) -> str:
        """Run ``command``; a non-zero exit becomes CommandFailed with the device's own text."""
        result = self.run(command, timeout_s)
        if result.exit_code not in ok:
            raise CommandFailed(self.name, command, f"exit {result.exit_code}: {result.output.strip()[-300:]}",
                                exit_code=result.exit_code)
        return result.output

    def _silent(self, command: str, timeout: float) -> DeviceTimeout:
        """The server itself did not answer: if it is ours and its process is stopped, put it down so the
        next call restarts it (within this call's bound: a kill, not a restart)."""
        put_down = self.recovery.put_down_if_stopped() if self.recovery is not None else None
        if put_down is not None:
            self.recoveries.append(f"{command}: {put_down}")
            return DeviceTimeout(self.name, command, f"the adb server {self.server} did not answer within "
                                 f"{timeout:g} s: {put_down}", "the step was not retried; the next one runs")
        return DeviceTimeout(self.name, command, f"the adb server {self.server} did not answer within {timeout:g} s "
                             "(busy, hung or stopped)",
                             f"check it with `adb -P {self.port} devices`; restart it if it stays silent")

    def _timeout(self, command: str, timeout: float) -> DeviceTimeout:
        return DeviceTimeout(self.name, command, f"no answer within {timeout:g} s",
                             "the phone may be rebooting or stalled; check `harness devices`")

    def _unreachable(self, command: str, exc: BaseException) -> DeviceUnreachable:
        return DeviceUnreachable(self.name, command, f"adb server {self.server}: {exc}",
                                 f"is the adb server up (`adb -P {self.port} devices`) and {self.serial} attached?")
