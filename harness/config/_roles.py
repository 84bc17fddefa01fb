"""Roles: what a scenario needs from the app, mapped to the app's own tasks in ``devices.toml``.

Scenarios never name a task. They ask for a role — "the periodic task", "the push handler" — and
``[[app.task]]`` says which of the app's tasks plays it::

    [[app.task]]
    name = "refresh-inbox"     # what the app registers (TaskManager.defineTask)
    kind = "background-task"
    role = "periodic"

A role no task plays skips the scenarios that need it, saying so. Each role fits some kinds only: the
scenarios for a role drive that kind's scheduler (a WorkManager job, an alarm, a foreground service).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.config._model import AppConfig, TaskConfig

__all__ = ["ROLES", "ROLE_KINDS", "app_fingerprint", "check_roles", "unmapped_reason"]

# role -> the task kinds that can play it, and what the role means (for messages and docs/adopting.md).
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "periodic": ("background-task", "job"),  # runs every interval_min in the background (WorkManager / a job)
    "fetch": ("background-fetch",),  # legacy background fetch: an inexact alarm on Android, fetch on iOS
    "overnight": ("processing", "job"),  # runs only while charging and idle
    "push": ("push",),  # the handler a silent push wakes
    "location": ("location",),  # background location updates (a foreground service on Android)
    "geofence": ("geofence",),  # region enter/exit
}
ROLES: tuple[str, ...] = tuple(ROLE_KINDS)
ROLE_WORDS = {"periodic": "the periodic task", "fetch": "the background-fetch task",
              "overnight": "the overnight (charging + idle) task", "push": "the push handler",
              "location": "the location task", "geofence": "the geofence task"}


def check_roles(path: str, tasks: Sequence[TaskConfig]) -> None:
    """Each role is played by one task at most, of a kind that can play it."""
    seen: dict[str, str] = {}
    for task in tasks:
        if task.role is None:
            continue
        where = f"[[app.task]] {task.name!r}"
        kinds = ROLE_KINDS[task.role]
        if task.kind not in kinds:
            raise ConfigError(path, where, f"role {task.role!r} needs kind {' or '.join(repr(k) for k in kinds)}, "
                              f"not {task.kind!r}", "give the role to a task of that kind, or drop the role key")
        if task.role in seen:
            raise ConfigError(path, where, f"role {task.role!r} is already played by task {seen[task.role]!r}",
                              "one task per role")
        seen[task.role] = task.name


def unmapped_reason(app: AppConfig, role: str) -> str:
    """Why a scenario that needs ``role`` skips: no task plays it (and which task could)."""
    if role not in ROLE_KINDS:
        raise KeyError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    kinds = ROLE_KINDS[role]
    could = [t.name for t in app.tasks if t.kind in kinds and t.role is None]
    hint = (f"; task {could[0]!r} has kind {app.task(could[0]).kind!r}: add role = \"{role}\" to it"
            if could else f"; add role = \"{role}\" to the [[app.task]] of kind {' or '.join(kinds)}")
    return f"[app] maps no task to role {role!r} ({ROLE_WORDS[role]}){hint} (docs/adopting.md)"


def app_fingerprint(app: AppConfig) -> str:
    """A short digest of ``[app]``: the lab reports the one it started with, so a run can tell a lab that
    models an older ``[app]`` (it reads the table only at start) from one that models this one."""
    return hashlib.sha256(repr(app).encode()).hexdigest()[:16]
