"""``com.apple.instruments.server.services.sysmontap``: Instruments' activity monitor, a sampling tap.

The client (``pmd3:services/dvt/instruments/{tap,sysmontap}.py``) asks ``deviceinfo`` for the attribute
names (``sysmonProcessAttributes``, ``sysmonSystemAttributes``), opens the channel, sends ``setConfig:``
(``ur``: the output interval in ms, ``procAttrs``, ``sysAttrs``, ``sampleInterval`` in ns) and ``start``,
neither expecting a reply. From then on the phone pushes, on that channel and unasked (conversation index
0), one OBJECT every ``ur`` milliseconds of its own time: an array of sample rows, the process row holding
``Processes`` (pid → the values of ``procAttrs`` in that order) and ``System`` (the values of
``sysAttrs``). pymobiledevice3 takes the first message as an acknowledgement and zips each process's values
with the attribute names, so a row must carry exactly one value per requested name. ``stop`` ends the
stream, and so does closing the channel or the connection.

The attribute names are the ones real phones report (the list sonic-gidevice and tidevice send, plus
``name``, ``procAge`` and ``startAbsTime``, which pymobiledevice3's ``sysmon process`` reads). The lab has
no CPU or memory accounting: CPU figures are 0 and sizes are fixed per process, derived from its pid. The
kernel (pid 0) is left out: pymobiledevice3's suite, which passes on real phones, reads the first process
of a sample as one with a non-zero pid (``tests/cli/developer/dvt/sysmon/test_process.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.lab.clock import Timer
from harness.lab.ios.dvt_channels import DvtChannel, Reply

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["PROCESS_ATTRIBUTES", "SYSMONTAP", "SYSTEM_ATTRIBUTES", "SysmontapService"]

SYSMONTAP = "com.apple.instruments.server.services.sysmontap"
PROCESS_ATTRIBUTES = (
    "memVirtualSize", "cpuUsage", "procStatus", "appSleep", "uid", "vmPageIns", "memRShrd", "ctxSwitch",
    "memCompressed", "intWakeups", "cpuTotalSystem", "responsiblePID", "physFootprint", "cpuTotalUser",
    "sysCallsUnix", "memResidentSize", "sysCallsMach", "memPurgeable", "diskBytesRead", "machPortCount",
    "__suddenTerm", "__arch", "memRPrvt", "msgSent", "ppid", "threadCount", "memAnon", "diskBytesWritten",
    "pgid", "faults", "msgRecv", "__restricted", "pid", "__sandbox", "name", "procAge", "startAbsTime",
)
SYSTEM_ATTRIBUTES = (
    "diskWriteOps", "diskBytesRead", "diskBytesWritten", "threadCount", "vmCompressorPageCount",
    "vmExtPageCount", "vmFreeCount", "vmIntPageCount", "vmPurgeableCount", "netPacketsIn", "vmWireCount",
    "netBytesIn", "netPacketsOut", "diskReadOps", "vmUsedCount", "__vmSwapUsage", "netBytesOut", "physMemSize",
)
DEFAULT_UR_MS = 1000
_MACH_TICKS_PER_S = 24_000_000
_PAGE = 16_384
_PHYS_MEM = 6 * 1024**3
_CPU_TYPE_ARM64 = 16777228
_SRUN = 2  # <sys/proc.h> p_stat of a running process


class SysmontapService(DvtChannel):
    objc_class = "DTSysmonTapService"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        super().__init__(device, address)
        self.config: dict[str, Any] = {}
        self.timer: Timer | None = None
        self.methods = {"setConfig:": self.set_config, "start": self.start, "stop": self.stop}

    def set_config(self, config: Any) -> Reply:
        self.config = config if isinstance(config, dict) else {}
        return None

    def start(self) -> Reply:
        self.stop()
        self._sample()
        return None

    def stop(self) -> Reply:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        return None

    def close(self) -> None:
        self.stop()

    def _interval_s(self) -> float:
        ur = self.config.get("ur")
        return (ur if isinstance(ur, int) and not isinstance(ur, bool) and ur > 0 else DEFAULT_UR_MS) / 1000

    def _sample(self) -> None:
        self.emit([self.row()])
        self.timer = self.device.clock.call_later(self._interval_s(), self._sample)

    def row(self) -> dict[str, Any]:
        now = int(self.device.clock.uptime() * _MACH_TICKS_PER_S)
        proc_attrs = _names(self.config.get("procAttrs"))
        sys_attrs = _names(self.config.get("sysAttrs"))
        processes = {pid: [process_value(self.device, pid, name, attr, now) for attr in proc_attrs]
                     for pid, name in sorted(self.device.processes.items()) if pid != 0}
        system = [self._system_value(attr) for attr in sys_attrs]
        return {"CPUCount": 6, "EnabledCPUs": 6, "EndMachAbsTime": now, "Processes": processes,
                "StartMachAbsTime": now - int(self._interval_s() * _MACH_TICKS_PER_S), "System": system, "Type": 7}

    def _system_value(self, attr: str) -> int:
        if attr == "physMemSize":
            return _PHYS_MEM
        if attr == "threadCount":
            return 24 * len(self.device.processes)
        if attr == "vmFreeCount":
            return _PHYS_MEM // _PAGE // 5
        return 0


def _names(value: Any) -> list[str]:
    return [str(name) for name in value] if isinstance(value, list) else []


def process_value(device: VirtualIPhone, pid: int, name: str, attr: str, now_ticks: int) -> Any:
    """One attribute of one process in a sample. Sizes grow with the pid so processes differ."""
    started = device.daemon_started.get(pid)
    start_ticks = int((started - device.clock.now() + device.clock.uptime()) * _MACH_TICKS_PER_S) \
        if started is not None else 0
    fixed: dict[str, Any] = {
        "pid": pid, "name": name, "ppid": 0 if pid == 1 else 1, "pgid": pid, "responsiblePID": pid,
        "uid": 0 if pid == 1 else 501, "procStatus": _SRUN, "__arch": _CPU_TYPE_ARM64, "cpuUsage": 0.0,
        "threadCount": 4 + pid % 13, "physFootprint": (8 + pid % 40) * 1024**2,
        "memResidentSize": (12 + pid % 40) * 1024**2, "memAnon": (6 + pid % 30) * 1024**2,
        "memVirtualSize": 400_000_000_000 + pid * _PAGE, "machPortCount": 40 + pid % 90,
        "startAbsTime": start_ticks, "procAge": max(0, now_ticks - start_ticks),
    }
    return fixed.get(attr, 0)
