"""Which system properties the shell user may set: init's property service asks SELinux.

A property's context is the longest ``property_contexts`` entry that is a prefix of its name (or equals it,
for ``exact`` entries); init refuses a ``setprop`` when the caller's domain lacks ``set`` on that context.
The shell domain's ``set_prop`` rules are system/sepolicy ``private/shell.te`` (Android 14, mirrored in
LineageOS/android_system_sepolicy lineage-21.0); the entries below are every ``private/property_contexts``
line whose context those rules name, plus the longer entries that carve a stricter context out of them
(``debug.db.``, ``dumpstate.options``, ``log.tag.WifiHAL`` stays shell's). The contexts shell may set only
on userdebug/eng builds (``userdebug_or_eng(set_prop(...))``: ``log.``, ``persist.debug.``,
``persist.wm.debug.``, ``persist.logd.logpersistd``) need ``ro.debuggable=1``; lab phones are user builds.
Anything else (``persist.sys.``, ``sys.``, ``ro.``, an unlisted name's ``default_prop``) is refused.
``ctl.*`` control messages are left out: the lab has no init services for them to start.
"""

from __future__ import annotations

__all__ = ["shell_may_set"]

# (name, exact, shell may set: "yes", "debuggable" (userdebug/eng only) or "no")
_CONTEXTS: tuple[tuple[str, bool, str], ...] = (
    ("debug.", False, "yes"), ("debug.db.", False, "no"),
    ("dumpstate.", False, "yes"), ("dumpstate.options", False, "no"),
    ("dumpstate.dry_run", True, "yes"), ("dumpstate.unroot", True, "yes"),
    ("log.", False, "debuggable"), ("log.tag", False, "yes"), ("log.tag.WifiHAL", False, "yes"),
    ("persist.log.tag", False, "yes"),
    ("persist.debug.", False, "debuggable"), ("persist.wm.debug.", False, "debuggable"),
    ("persist.logd.logpersistd", False, "debuggable"), ("persist.logd.audit.rate", False, "yes"),
    ("service.adb.root", False, "yes"), ("security.perf_harden", False, "yes"),
    ("persist.simpleperf.profile_app_uid", False, "yes"),
    ("persist.simpleperf.profile_app_expiration_time", False, "yes"),
    ("sys.powerctl", False, "yes"), ("sys.lpdumpd", False, "yes"),
    ("persist.traced.enable", False, "yes"), ("persist.heapprofd.enable", False, "yes"),
    ("persist.traced_perf.enable", False, "yes"), ("persist.pm.mock-upgrade", False, "yes"),
    ("persist.sys.fflag.override.settings_dynamic_system", False, "yes"),
    ("dynamic_system.data_transfer.shared_memory.size", True, "yes"),
    ("test.userspace_reboot.requested", False, "yes"), ("perf.drop_caches", True, "yes"),
    ("libc.debug.gwp_asan.", False, "yes"), ("persist.libc.debug.gwp_asan.", False, "yes"),
    ("arm64.memtag.", False, "yes"), ("persist.arm64.memtag.", False, "yes"),
    ("power.battery_input.suspended", True, "yes"), ("persist.rollback.is_test", True, "yes"),
    ("remote_provisioning.strongbox.rkp_only", True, "yes"), ("remote_provisioning.tee.rkp_only", True, "yes"),
    ("remote_provisioning.hostname", True, "yes"),
    ("db.log.detailed", True, "yes"), ("db.log.slow_query_threshold", True, "yes"),
    ("db.log.slow_query_threshold.", False, "yes"),
)


def shell_may_set(name: str, debuggable_build: bool) -> bool:
    """Whether init lets the shell domain set ``name``."""
    best: tuple[str, bool, str] | None = None
    for entry in _CONTEXTS:
        key, exact = entry[0], entry[1]
        if (name == key if exact else name.startswith(key)) and (best is None or len(key) > len(best[0])):
            best = entry
    if best is None:
        return False
    return best[2] == "yes" or (best[2] == "debuggable" and debuggable_build)
