"""``dumpsys jobscheduler [PKG]``: JobSchedulerService.dumpInternal and JobStatus.dump (14/15-era).

Sections in source order: ``Settings:`` (JSS constants, then QuotaController's), ``Aconfig flags:``
(15 only), the battery lines, ``Started users: [0]``, ``Registered N jobs:`` (N counts every job
even when a package filter hides some), one block per job headed ``JOB <printUniqueId>: <hash>
<batteryName>``, controller sections, the package stats and ``Job history:``, ``Pending queue:``,
``Active jobs:``, ``Recently completed jobs:``. 14-era ``printUniqueId`` prints ``#u0a12/5``, or
``<namespace>:u0a12/5`` for a namespaced job, so a WorkManager job on 14+ reads
``JOB androidx.work.systemjobscheduler:u0a12/5: 1a2b3c4 @androidx.work.systemjobscheduler@pkg/…``.
Best effort, not verified against a capture: the Settings values, the controller sections (abridged
to the four the lab models), ``Priority:``/``Flags:`` text, and the package-stats block.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from harness.lab.android.os.base import format_duration, uid_text
from harness.lab.android.os.jobs.constraints import (
    BATTERY_NOT_LOW,
    CHARGING,
    DEADLINE,
    TARE_WEALTH,
    TIMING_DELAY,
    WITHIN_QUOTA,
    Readiness,
    constraint_text,
    readiness,
)
from harness.lab.android.os.jobs.quota import constants_lines
from harness.lab.android.os.jobs.standby import bucket_index

if TYPE_CHECKING:
    from harness.lab.android.os.jobs.jobscheduler import JobScheduler
    from harness.lab.android.os.jobs.jobstatus import JobStatus

__all__ = ["dump_jobscheduler", "job_block"]

_INDEX_NAMES = ("ACTIVE", "WORKING_SET", "FREQUENT", "RARE", "NEVER", "RESTRICTED", "EXEMPTED")
_SETTINGS = (
    "min_ready_cpu_only_jobs_count=5", "min_ready_non_active_jobs_count=5", "max_cpu_only_job_batch_delay_ms=1860000",
    "max_non_active_job_batch_delay_ms=1860000", "heavy_use_factor=0.9", "moderate_use_factor=0.5",
    "min_linear_backoff_time_ms=10000", "min_exp_backoff_time_ms=10000", "system_stop_to_failure_ratio=3",
    "conn_congestion_delay_frac=0.5", "conn_prefetch_relax_frac=0.5", "enable_api_quotas=true",
    "aq_schedule_count=250", "aq_schedule_window_ms=60000", "aq_schedule_throw_exception=true",
    "aq_schedule_return_failure=false", "runtime_min_guarantee_ms=600000", "runtime_min_ej_guarantee_ms=180000",
    "runtime_free_quota_max_limit_ms=1800000", "runtime_min_ui_guarantee_ms=600000",
    "runtime_ui_limit_ms=43200000", "persist_in_split_files=true", "max_num_persisted_job_work_items=100000",
    "enable_tare=false",
)
_FLAGS_35 = ("com.android.server.job.batch_active_bucket_jobs=false",
             "com.android.server.job.batch_connectivity_jobs_per_network=false",
             "com.android.server.job.do_not_force_rush_execution_at_boot=false",
             "android.app.job.backup_jobs_exemption=false")


def _rel(t: float, now: float) -> str:
    """``TimeUtils.formatDuration(time, now)``: ``--`` for 0, else the signed difference."""
    return "--" if t == 0 else format_duration(t - now)


def _run_time(t: float | None, now: float) -> str:
    return "none" if t is None else format_duration(t - now)


def _job_info_lines(js: JobStatus) -> list[str]:
    info, lines = js.info, ["JobInfo:", f"  Service: {js.component}"]
    if js.periodic:
        lines.append(f"  PERIODIC: interval={format_duration(js.interval_s)} flex={format_duration(js.flex_s)}")
    if info.persisted:
        lines.append("  PERSISTED")
    lines.append("  Priority: 500 [MAX]" if info.expedited else "  Priority: 300 [DEFAULT]")
    if info.expedited:
        lines.append("  Flags: 10")  # FLAG_EXPEDITED
    lines.append(f"  Requires: charging={_b(info.requires_charging)} batteryNotLow={_b(info.requires_battery_not_low)}"
                 f" deviceIdle={_b(info.requires_device_idle)}")
    if info.extras:
        size = 4 + sum(12 + 2 * (len(k) + len(v)) for k, v in info.extras.items())
        lines.append(f"  Extras: mParcelledData.dataSize={size + (-size) % 4}")
    if info.requires_network:
        lines.append("  Network type: NetworkRequest [ NONE id=0, [ Capabilities: INTERNET&NOT_RESTRICTED&TRUSTED&"
                     f"VALIDATED Uid: {js.uid}] ]")
    if info.min_latency_s and not js.periodic:
        lines.append(f"  Minimum latency: {format_duration(info.min_latency_s)}")
    if info.deadline_s is not None and not js.periodic:
        lines.append(f"  Max execution delay: {format_duration(info.deadline_s)}")
    lines.append("  Backoff: policy=1 initial=+30s0ms")
    lines += ["  Has early constraint"] if js.has_early_constraint else []
    return lines + (["  Has late constraint"] if js.has_late_constraint else [])


def _b(value: bool) -> str:
    return "true" if value else "false"


def _constraint_lines(js: JobStatus, now: float, full: bool) -> list[str]:
    lines = [f"Required constraints:{constraint_text(js.required)}",
             f"Dynamic constraints:{constraint_text(js.dynamic)}"]
    if full:
        unsatisfied = (js.required | WITHIN_QUOTA | TARE_WEALTH) & ~js.satisfied
        lines += [f"Satisfied constraints:{constraint_text(js.satisfied)}",
                  f"Unsatisfied constraints:{constraint_text(unsatisfied)}", "Constraint history:"]
        lines += [f"  {_rel(t, now)} ={constraint_text(mask)}" for t, mask in js.constraint_history]
    return lines


def _state_lines(sched: JobScheduler, js: JobStatus, r: Readiness, full: bool) -> list[str]:
    st, lines = sched.state, []
    if full and st.whitelisted(js.package):
        lines.append("Doze whitelisted: true")
    if full and st.foreground(js.package):
        lines.append("Uid: active")
    tracking = [name for cond, name in (
        (js.required & (CHARGING | BATTERY_NOT_LOW), "BATTERY"), (js.info.requires_network, "CONNECTIVITY"),
        (js.info.requires_device_idle, "IDLE"), (js.required & (TIMING_DELAY | DEADLINE), "TIME"), (True, "QUOTA"))
        if cond]
    lines += [f"Tracking: {' '.join(tracking)}", "Implicit constraints:",
              f"  readyNotDozing: {_b(r.not_dozing)}", f"  readyNotRestrictedInBg: {_b(r.not_restricted_in_bg)}"]
    if not js.periodic and js.info.deadline_s is not None:
        lines.append(f"  readyDeadlineSatisfied: {_b(r.deadline_satisfied)}")
    if js.dynamic:
        lines.append(f"  readyDynamicSatisfied: {_b(r.dynamic_satisfied)}")
    lines.append("  readyComponentEnabled: true")
    if js.info.expedited:
        lines.append(f"  expeditedQuotaApproved: true expeditedTareApproved: true (started as EJ: "
                     f"{_b(sched.is_active(js))})")
    return [*lines, "Started with foreground flag: false"]


def _time_lines(sched: JobScheduler, js: JobStatus, now: float) -> list[str]:
    index = bucket_index(sched.state.standby.bucket(js.package))
    lines = [f"Standby bucket: {_INDEX_NAMES[index]}", f"Enqueue time: {format_duration(js.enqueue_s - now)}",
             f"Run time: earliest={_run_time(js.earliest_s, now)}, latest={_run_time(js.latest_s, now)}, "
             f"original latest={_run_time(js.original_latest_s, now)}"]
    if js.num_failures:
        lines.append(f"Num failures: {js.num_failures}")
    for label, t in (("Last successful run", js.last_success_s), ("Last failed run", js.last_failed_s)):
        if t:
            lines.append(f"{label}: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(t))}")
    return lines


def job_block(sched: JobScheduler, js: JobStatus, now: float, r: Readiness | None = None, *,
              full: bool = True) -> list[str]:
    """``JobStatus.dump(pw, full, nowElapsed)``, unindented; without ``r``, as of the job's last evaluation."""
    r = r if r is not None else readiness(js, js.satisfied, never_bucket=False)
    lines = [f"{uid_text(js.uid)} tag={js.wakelock_tag}", f"Source: uid={uid_text(js.uid)} user=0 pkg={js.package}"]
    lines += _job_info_lines(js) if full else []
    lines += _constraint_lines(js, now, full) + _state_lines(sched, js, r, full) + _time_lines(sched, js, now)
    return lines


def _registered(sched: JobScheduler, jobs: list[JobStatus], now: float) -> list[str]:
    lines = [f"Registered {len(sched.jobs)} jobs:"]
    for js in jobs:
        r = sched.check(js, now)
        lines.append(f"  JOB {js.unique_id}: {js.hash} {js.battery_name}")
        lines += [f"    {line}" for line in job_block(sched, js, now, r)]
        pending, active = js in sched.pending, sched.is_active(js)
        lines += ["    Restricted due to: none.",
                  f"    Ready: {_b(sched.ready_to_execute(js, r))} (job={_b(r.ready)} user=true !restricted=true "
                  f"!pending={_b(not pending)} !active={_b(not active)} !backingup=true comp=true)"]
    return lines if jobs else [*lines, "  None."]


def _controllers(sched: JobScheduler, jobs: list[JobStatus]) -> list[str]:
    st = sched.state
    lines = ["", "BatteryController:", f"  Stable power: {_b(st.charging())}", f"  Not low: {_b(st.battery_not_low())}",
             "", "BackgroundJobsController:"]
    for js in jobs:
        allowed = st.run_any_in_background(js.package)
        state = "active" if st.foreground(js.package) else "idle"
        runnable = "RUNNABLE" if st.bg_allowed(js.package) else "WAITING"
        lines.append(f"  #{js.unique_id.lstrip('#')} from {uid_text(js.uid)} {state}: {js.package} "
                     f"[RUN_ANY_IN_BACKGROUND {'allowed' if allowed else 'disallowed'}] {runnable}")
    lines += ["", "DeviceIdleJobsController:", f"  Idle mode: {_b(st.dozing())}"]
    lines += ["", "QuotaController:", f"  Is charging: {_b(st.charging())}"]
    return lines


def _history(sched: JobScheduler, uid: int | None, now: float) -> list[str]:
    events = [e for e in sched.history.events if uid is None or e.uid % 100_000 == uid % 100_000]
    if not sched.history.events:
        return []
    lines = ["  Job history:"]
    for e in events:
        reason = f" {e.reason}" if e.cmd in (2, 4) else ""
        lines.append(f"{format_duration(e.time_s - now):>19} {e.label}: #{uid_text(e.uid)}/{e.job_id} {e.tag}{reason}")
    return [*lines, ""]


def _stats(sched: JobScheduler, uid: int | None, now: float) -> list[str]:
    """JobPackageTracker "Current stats" (abridged: counts only, no percentages)."""
    boot = now - sched.dev.clock.uptime()
    stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(boot))
    lines = [f"Current stats at {stamp} ({format_duration(boot - now)}) over {format_duration(now - boot)}:",
             f"  Max concurrency: {min(len(sched.pool.active()) or 1, 16)} total, 0 foreground", ""]
    counts: dict[tuple[int, str], int] = {}
    for e in sched.history.events:
        if e.cmd in (1, 3) and (uid is None or e.uid == uid):
            key = (e.uid, e.tag.rsplit("@", 1)[-1].split("/", 1)[0])
            counts[key] = counts.get(key, 0) + 1
    for (event_uid, pkg), n in sorted(counts.items()):
        lines += [f"  {uid_text(event_uid)} / {pkg}:", f"    {n}x active"]
    return lines


def _active(sched: JobScheduler, uid: int | None, now: float) -> list[str]:
    lines, running = ["Active jobs:"], sched.pool.active()
    if not running:
        lines.append("  N/A")
    for i, ctx in enumerate(running):
        js = ctx.job
        if js is None or (uid is not None and js.uid != uid):
            continue
        lines += [f"  Slot #{i}(ID={ctx.id}): " + ctx.dump_line(now).replace("\n", "\n  ")]
        lines += [f"      {line}" for line in job_block(sched, js, now, full=False)]
        lines += ["    Evaluated bias: 0 [DEFAULT]",
                  f"    Active at {format_duration(js.made_active_s - now)}, pending for "
                  f"{format_duration(js.made_active_s - js.made_pending_s)}"]
    idle = sched.pool.idle()
    lines += ["", f"Idle contexts ({len(idle)}):"] + [f"  ID={c.id}: {c.dump_line(now)}" for c in idle]
    return lines


def _completed(sched: JobScheduler, uid: int | None, now: float) -> list[str]:
    lines = ["Recently completed jobs:"]
    shown = [(t, js) for t, js in reversed(sched.completed) if uid is None or js.uid == uid]
    for t, js in shown:
        lines += [f"  {format_duration(t - now)}", f"      {js.short_string}"]
        lines += [f"      {line}" for line in job_block(sched, js, now)]
    return lines if shown else [*lines, "  None"]


def _header(sched: JobScheduler) -> list[str]:
    st, power = sched.state, sched.state.power
    lines = ["Settings:", *(f"  {s}" for s in _SETTINGS), "", "  QuotaController:"]
    lines += [f"    {s}" for s in constants_lines(sched.quota.c)] + [""]
    if sched.dev.sdk >= 35:
        lines += ["Aconfig flags:", *(f"  {f}" for f in _FLAGS_35), ""]
    level = power.battery_level() if power is not None else 100
    lines += ["", "", f"Power connected: {_b(st.charging())}", f"Battery charging: {_b(st.charging())}",
              f"Considered charging: {_b(st.charging())}", f"Battery level: {level}",
              f"Battery not low: {_b(st.battery_not_low())}"]
    if sched.battery_monitoring:
        lines.append(f"MONITORING: seq={sched.battery_seq}")
    return [*lines, "", "Started users: [0]", "", "Media Cloud Providers: {}", ""]


def dump_jobscheduler(sched: JobScheduler, uid: int | None) -> str:
    """The whole text; ``uid`` filters to one app (by app id, as the dump's predicate does)."""
    now = sched.now()
    jobs = sorted((js for js in sched.jobs.values() if uid is None or js.uid % 100_000 == uid % 100_000),
                  key=lambda j: (j.uid, j.job_id))
    lines = [*_header(sched), *_registered(sched, jobs, now), *_controllers(sched, jobs), ""]
    lines += [*_stats(sched, uid, now), "", *_history(sched, uid, now)]
    lines += ["Pending queue:"] + [f"  Pending #{i}: {js.short_string}" for i, js in enumerate(sched.pending, 1)
                                   if uid is None or js.uid == uid]
    lines += ["  None"] if not [js for js in sched.pending if uid is None or js.uid == uid] else []
    lines += ["", *_active(sched, uid, now), "", *_completed(sched, uid, now), "", ""]
    if uid is None:
        lines += ["", "mReadyToRock=true", "mReportedActive=false"]
    return "\n".join(lines) + "\n\n"
