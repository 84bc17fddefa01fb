"""The ``jobscheduler`` binder service: ``cmd jobscheduler …`` and ``dumpsys jobscheduler [PKG]``.

Texts, streams and result codes are JobSchedulerShellCommand's (15-era @01a7983f3137) and
JobSchedulerService's: ``Running job`` / ``Running job [FORCED]`` on stdout; the CMD_ERR_* messages on
stderr with -1000/-1001/-1002 (exit 24/23/22); option errors (``Error: unknown option '-x'``,
``Cannot specify both --force and --satisfied``) on **stdout** with -1 (exit 255), as the source
prints them with the out writer; any exception inside ``onCommand`` becomes ``Exception: <e>`` on
stdout and -1. ``timeout`` is ``stop`` with reason TIMEOUT on 14+, so it prints ``Stopping job: …``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.base import uid_text
from harness.lab.android.os.jobs.args import USER_CURRENT, JavaError, ShellArgs, parse_int, parse_user
from harness.lab.android.os.jobs.dump import dump_jobscheduler
from harness.lab.android.os.jobs.jobscheduler import (
    CMD_ERR_CONSTRAINTS,
    CMD_ERR_NO_JOB,
    CMD_ERR_NO_PACKAGE,
    JobScheduler,
)
from harness.lab.android.os.jobs.jobstatus import JobStatus
from harness.lab.android.os.jobs.texts import JOBSCHEDULER_DUMP_HELP, jobscheduler_help
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["JobSchedulerService"]

# JobParameters.getInternalReasonCodeDescription
_INTERNAL = ("canceled", "constraints", "preempt", "timeout", "device_idle", "thermal", "restricted_bucket",
             "uninstall", "data_cleared", "rtc_updated", "successful_finish", "user_ui_stop", "anr",
             "timeout_abandoned")
_FLAGS_35 = ("android.app.job.enforce_minimum_time_windows", "android.app.job.job_debug_info_apis",
             "com.android.server.job.do_not_force_rush_execution_at_boot",
             "com.android.server.job.throw_on_unsupported_bias_usage", "android.app.job.backup_jobs_exemption")

Verb = Callable[[Invocation, ShellArgs], int]


def _internal_reason(code: int) -> str:
    return _INTERNAL[code] if 0 <= code < len(_INTERNAL) else f"unknown:{code}"


class JobSchedulerService:
    def __init__(self, dev: AndroidDevice, sched: JobScheduler) -> None:
        self.dev = dev
        self.sched = sched
        self._verbs: dict[str, Verb] = {
            "run": self._run, "timeout": self._timeout, "stop": self._stop, "cancel": self._cancel,
            "monitor-battery": self._monitor_battery, "get-job-state": self._get_job_state,
            "heartbeat": lambda inv, _a: self._say(inv, "Heartbeat command is no longer supported", -1),
            "reset-execution-quota": self._reset_quota, "reset-schedule-quota": lambda _inv, _a: 0,
            "trigger-dock-state": self._dock_state,
            "get-battery-seq": lambda inv, _a: self._say(inv, str(self.sched.battery_seq)),
            "get-battery-charging": lambda inv, _a: self._say(inv, _b(self.sched.state.charging())),
            "get-battery-not-low": lambda inv, _a: self._say(inv, _b(self.sched.state.battery_not_low())),
            "get-storage-seq": lambda inv, _a: self._say(inv, "-1"),
            "get-storage-not-low": lambda inv, _a: self._say(inv, "true"),
            "get-estimated-download-bytes": lambda inv, a: self._bytes(inv, a, "-1"),
            "get-estimated-upload-bytes": lambda inv, a: self._bytes(inv, a, "-1"),
            "get-transferred-download-bytes": lambda inv, a: self._bytes(inv, a, "0"),
            "get-transferred-upload-bytes": lambda inv, a: self._bytes(inv, a, "0"),
        }
        if dev.sdk >= 35:
            self._verbs["get-aconfig-flag-state"] = self._flag_state

    # -- dumpsys ------------------------------------------------------------------------------
    def dump(self, inv: Invocation, args: list[str]) -> int:
        rest = list(args)
        while rest and rest[0].startswith("-") and rest[0]:
            opt = rest.pop(0)
            if opt == "-h":
                inv.out(JOBSCHEDULER_DUMP_HELP)
                return 0
            if opt not in ("-a", "--proto"):
                inv.out(f"Unknown option: {opt}\n")
                return 0
        uid = None
        if rest:
            pkg = self.dev.packages.get(rest[0])
            if pkg is None:
                inv.out(f"Invalid package: {rest[0]}\n")
                return 0
            uid = pkg.uid
        inv.out(dump_jobscheduler(self.sched, uid))
        return 0

    # -- cmd ----------------------------------------------------------------------------------
    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        verb = args[0] if args else None
        handler = self._verbs.get(verb) if verb is not None else None
        if verb is None or handler is None:
            if verb in (None, "help", "-h"):  # BasicShellCommandHandler.handleDefaultCommands
                inv.out(jobscheduler_help(self.dev.sdk))
            else:
                inv.out(f"Unknown command: {verb}\n")
            return -1
        try:
            return handler(inv, ShellArgs(verb, args[1:]))
        except JavaError as exc:
            inv.out(f"Exception: {exc}\n")
            return -1

    @staticmethod
    def _say(inv: Invocation, text: str, code: int = 0) -> int:
        inv.out(text + "\n")
        return code

    @staticmethod
    def _print_error(inv: Invocation, code: int, pkg: str, user: int, ns: str | None, job_id: int) -> bool:
        """JobSchedulerShellCommand.printError (stderr)."""
        where = f" / namespace {ns}" if ns is not None else ""
        if code == CMD_ERR_NO_PACKAGE:
            inv.err(f"Package not found: {pkg} / user {user}\n")
        elif code == CMD_ERR_NO_JOB:
            inv.err(f"Could not find job {job_id} in package {pkg}{where} / user {user}\n")
        elif code == CMD_ERR_CONSTRAINTS:
            inv.err(f"Job {job_id} in package {pkg}{where} / user {user} has functional constraints but "
                    "--force not specified\n")
        return code in (CMD_ERR_NO_PACKAGE, CMD_ERR_NO_JOB, CMD_ERR_CONSTRAINTS)

    @staticmethod
    def _user_ns(inv: Invocation, a: ShellArgs, user: int, extra: Callable[[str], bool] | None = None,
                 ) -> tuple[int, str | None] | None:
        """The ``-u``/``-n`` option loop most verbs share; None after printing an unknown option."""
        ns = None
        while (opt := a.next_option()) is not None:
            if opt in ("-u", "--user"):
                user = parse_user(a.next_arg_required())
            elif opt in ("-n", "--namespace"):
                ns = a.next_arg_required()
            elif extra is None or not extra(opt):
                inv.out(f"Error: unknown option '{opt}'\n")
                return None
        return (0 if user == USER_CURRENT else user), ns

    def _run(self, inv: Invocation, a: ShellArgs) -> int:
        flags: set[str] = set()

        def flag(opt: str) -> bool:
            name = {"-f": "force", "--force": "force", "-s": "satisfied", "--satisfied": "satisfied"}.get(opt)
            flags.update([name] if name else [])
            return name is not None

        parsed = self._user_ns(inv, a, 0, flag)
        if parsed is None:
            return -1
        if flags == {"force", "satisfied"}:
            return self._say(inv, "Cannot specify both --force and --satisfied", -1)
        (user, ns), pkg = parsed, a.next_arg_required()
        job_id = parse_int(a.next_arg_required())
        code = self.sched.run_command(pkg, user, ns, job_id, satisfied="satisfied" in flags, force="force" in flags)
        if self._print_error(inv, code, pkg, user, ns, job_id):
            return code
        return self._say(inv, "Running job [FORCED]" if "force" in flags else "Running job")

    def _timeout(self, inv: Invocation, a: ShellArgs) -> int:
        return self._stop_jobs(inv, a, "timeout", None)

    def _stop(self, inv: Invocation, a: ShellArgs) -> int:
        reasons = {"internal": -1}

        def reason(opt: str) -> bool:
            if opt in ("-s", "--stop-reason"):
                parse_int(a.next_arg_required())
                return True
            if opt in ("-i", "--internal-stop-reason"):
                reasons["internal"] = parse_int(a.next_arg_required())
                return True
            return False

        return self._stop_jobs(inv, a, None, reason, reasons)

    def _stop_jobs(self, inv: Invocation, a: ShellArgs, internal: str | None, extra: Callable[[str], bool] | None,
                   reasons: dict[str, int] | None = None) -> int:
        parsed = self._user_ns(inv, a, -1, extra)
        if parsed is None:
            return -1
        (user, ns), pkg, jid = parsed, a.next_arg(), a.next_arg()
        job_id = parse_int(jid) if jid is not None else None
        why = internal or _internal_reason((reasons or {}).get("internal", -1))
        stopped = self.sched.stop_command(pkg, user, ns, job_id, why)
        for js in stopped:
            inv.out(f"Stopping job: {js.unique_id} {js.component}\n")
        if not stopped:
            inv.out("No matching executing jobs found.\n")
        return 0

    def _cancel(self, inv: Invocation, a: ShellArgs) -> int:
        parsed = self._user_ns(inv, a, 0)
        if parsed is None:
            return -1
        user, ns = parsed
        if user < 0:
            return self._say(inv, "Error: must specify a concrete user ID", -1)
        pkg, jid = a.next_arg(), a.next_arg()
        job_id = parse_int(jid) if jid is not None else -1
        uid = self.sched.uid_of(pkg, user) if pkg is not None else None
        if pkg is None or uid is None:
            return self._say(inv, f"Package {pkg} not found.", CMD_ERR_NO_PACKAGE)
        if jid is None:
            inv.out(f"Canceling all jobs for {pkg} in user {user}\n")
            if not self.sched.cancel_all(pkg, "cancel shell command for package"):
                inv.out("No matching jobs found.\n")
            return 0
        inv.out(f"Canceling job {pkg}/#{job_id} in user {user}\n")
        reason = f"cancel() called by app, callingUid=2000 uid={uid} jobId={job_id}"
        if not self.sched.cancel(pkg, job_id, ns, reason):
            inv.out("No matching job found.\n")
        return 0

    def _monitor_battery(self, inv: Invocation, a: ShellArgs) -> int:
        opt = a.next_arg_required()
        if opt not in ("on", "off"):
            inv.err(f"Error: unknown option {opt}\n")
            return 1
        self.sched.battery_monitoring = opt == "on"
        return self._say(inv, "Battery monitoring enabled" if opt == "on" else "Battery monitoring disabled")

    def _lookup(self, inv: Invocation, a: ShellArgs) -> tuple[JobStatus | None, int]:
        """The shared head of get-job-state / get-*-bytes: the job, or the printed ``unknown(…)`` error."""
        parsed = self._user_ns(inv, a, 0)
        if parsed is None:
            return None, -1
        (user, ns), pkg = parsed, a.next_arg_required()
        job_id = parse_int(a.next_arg_required())
        uid = self.sched.uid_of(pkg, user)
        js = self.sched.jobs.get((uid, ns, job_id)) if uid is not None else None
        if js is not None:
            return js, 0
        code = CMD_ERR_NO_PACKAGE if uid is None else CMD_ERR_NO_JOB
        inv.out(f"unknown({pkg})\n" if uid is None else f"unknown({uid_text(uid)}/jid{job_id})\n")
        self._print_error(inv, code, pkg, user, ns, job_id)
        return None, code

    def _get_job_state(self, inv: Invocation, a: ShellArgs) -> int:
        """JobSchedulerService.getJobState: ``pending`` and ``waiting`` are print(), the rest println()."""
        js, code = self._lookup(inv, a)
        if js is None:
            return code
        out, printed = "", False
        if js in self.sched.pending:
            out, printed = "pending", True
        for word, on in (("active", self.sched.is_active(js)), ("ready", self.sched.check(js).ready)):
            if on:
                out += (" " if printed else "") + word + "\n"
                printed = True
        inv.out(out + ("" if printed else "waiting") + "\n")
        return 0

    def _bytes(self, inv: Invocation, a: ShellArgs, value: str) -> int:
        js, code = self._lookup(inv, a)
        if js is None:
            return code
        inv.out(f"{value}\n\n")
        return 0

    def _reset_quota(self, inv: Invocation, a: ShellArgs) -> int:
        if self._user_ns(inv, a, 0, lambda opt: False) is None:
            return -1
        self.sched.quota.reset(a.next_arg_required())
        self.sched.evaluate()
        return 0

    def _dock_state(self, inv: Invocation, a: ShellArgs) -> int:
        opt = a.next_arg_required()
        if opt not in ("idle", "active"):
            inv.err(f"Error: unknown option {opt}\n")
            return 1
        return 0

    def _flag_state(self, inv: Invocation, a: ShellArgs) -> int:
        name = a.next_arg_required()
        return self._say(inv, "false" if name in _FLAGS_35 else f"Unknown flag: {name}")


def _b(value: bool) -> str:
    return "true" if value else "false"
