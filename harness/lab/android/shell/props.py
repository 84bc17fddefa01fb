"""``getprop`` and ``setprop`` (toolbox), with init's refusal of what the shell may not set (os/properties.py).

setprop's own checks and texts are system/core ``toolbox/setprop.cpp``: usage on stdout, a name that starts
or ends with '.', contains '..' or a character outside ``[A-Za-z0-9:@_.-]``, a value of PROP_VALUE_MAX (92)
bytes or more for a non-``ro.`` name; then ``SetProperty`` and, when init refuses, ``Failed to set property
'N' to 'V'.`` / ``See dmesg for error reason.``; every failure exits 1 (EXIT_FAILURE). An ``ro.`` property
that is already set cannot be changed (init's ``PropertySet``), whoever asks.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.ids import ROOT, SHELL_UID
from harness.lab.android.os.properties import shell_may_set
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["LAB_SEED_PROP", "getprop", "setprop"]

# The lab's own property: ``setprop lab.seed N`` reseeds the phone's policy randomness (``dev.rng``: OEM
# kill delays, the modelled app's failures) at once, so a harness run can give each test its own
# recorded seed without restarting the lab (``pytest --lab-seed``, ``harness repro --seed``). The harness
# sets it on lab phones only (harness/plugin/_run.py LabSeeder); a real phone would refuse it.
LAB_SEED_PROP = "lab.seed"
_PROP_VALUE_MAX = 92
_NAME_CHAR = re.compile(r"[A-Za-z0-9:@_.-]")


def _dev(inv: Invocation) -> AndroidDevice:
    assert isinstance(inv.host, AndroidDevice)
    return inv.host


def getprop(inv: Invocation) -> int:
    props = _dev(inv).props
    args = inv.argv[1:]
    if not args:
        for key in sorted(props):
            inv.out(f"[{key}]: [{props[key]}]\n")
        return 0
    inv.out(props.get(args[0], args[1] if len(args) > 1 else "") + "\n")
    return 0


def _bad_name(name: str) -> str | None:
    if not name or name[0] == "." or name[-1] == ".":
        return "Property names must not start or end with a '.'"
    if ".." in name:
        return "'..' is not allowed in a property name"
    bad = next((c for c in name if not _NAME_CHAR.fullmatch(c)), None)
    return f"Invalid character '{bad}' in name '{name}'" if bad is not None else None


def _init_allows(dev: AndroidDevice, uid: int, key: str, value: str) -> bool:
    if key.startswith("ro.") and key in dev.props:
        return False
    if key == LAB_SEED_PROP:
        return value.lstrip("-").isdigit()
    if uid == ROOT:
        return True
    # An app's domain (runas_app under run-as) has none of the shell's set_prop rules.
    return uid == SHELL_UID and shell_may_set(key, dev.props.get("ro.debuggable") == "1")


def setprop(inv: Invocation) -> int:
    if len(inv.argv) != 3:
        inv.out("usage: setprop NAME VALUE\n\nSets an Android system property.\n")
        return 1
    key, value = inv.argv[1], inv.argv[2]
    problem = _bad_name(key)
    if problem is None and len(value.encode()) >= _PROP_VALUE_MAX and not key.startswith("ro."):
        problem = f"Value '{value}' is too long, {len(value.encode())} bytes vs a max of {_PROP_VALUE_MAX}"
    if problem is not None:
        inv.err(problem + "\n")
        return 1
    dev = _dev(inv)
    if not _init_allows(dev, inv.uid, key, value):
        inv.err(f"Failed to set property '{key}' to '{value}'.\nSee dmesg for error reason.\n")
        return 1
    dev.props[key] = value
    if key == LAB_SEED_PROP:
        dev.rng.seed(int(value))
    return 0
