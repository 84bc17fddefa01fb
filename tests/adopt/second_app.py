"""A second app, described only in a copy of devices.toml: another package, its own task names, and some
roles that no task plays (what a team adopting the harness for its own app writes)."""

from __future__ import annotations

PACKAGE = "org.acme.fieldops"
# name, kind, role (None: the app has the task but it plays no scenario role), extra keys
TASKS = (
    ("pull-inbox", "background-task", "periodic", "interval_min = 15\nduration_s = 4"),
    ("gps-trail", "location", "location", "interval_min = 1"),
    ("fcm-handler", "push", "push", "duration_s = 1"),
    ("map-tiles", "background-fetch", None, "interval_min = 30"),  # present, but plays no role: fetch cells skip
)
APP = f'''[app]
name = "FieldOps"
android_package = "{PACKAGE}"
ios_bundle_id = "{PACKAGE}"
launcher_activity = ".MainActivity"
debuggable = true
''' + "".join(
    f'\n[[app.task]]\nname = "{name}"\nkind = "{kind}"\n' + (f'role = "{role}"\n' if role else "") + extra + "\n"
    for name, kind, role, extra in TASKS)


def second_app_toml(shipped: str) -> str:
    """``shipped`` (a devices.toml) with its [app] and [[app.task]] tables replaced by the second app's, and the
    demo app's package in device settings renamed."""
    start = shipped.index("\n[app]")
    end = shipped.index("\n[push]")
    return (shipped[:start] + "\n" + APP + shipped[end:]).replace("com.example.courier", PACKAGE)


UNMAPPED = ("fetch", "overnight", "geofence")
