"""The layers' import contract, checked on every module's AST (function-local imports included).

- The lab (``harness.lab``) is reached only over the wire: it imports no driver, plugin, reporting, pool or CLI
  code. What it shares with the harness is config, errors, and the app contracts both sides must agree on
  (``harness.contracts``: the probe's line and ring-buffer file, the geofence layout and the platforms' region
  limits, the redaction fingerprint).
- The contracts themselves import nothing else of the harness, so sharing them pulls in nothing.
- Nothing outside the lab imports it, except the CLI command that runs the lab in the foreground
  (``harness lab up``): drivers, core, services and the plugin start it as a process (``harness.labctl``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.labkit import ROOT

HARNESS = ROOT / "harness"
LAB_MAY_IMPORT = ("harness.lab", "harness.config", "harness.errors", "harness.contracts")
CONTRACTS = ("harness.contracts",)
MAY_IMPORT_LAB = ("harness.cli._lab",)  # `harness lab up` runs the lab in its own process's foreground


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def harness_imports(source: str) -> set[str]:
    """Every ``harness…`` module a source imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "harness")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "harness":
            found.add(str(node.module))
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(modules: dict[str, str]) -> list[str]:
    """``module -> imported`` for every import that breaks the contract, given ``{module: source}``."""
    bad = []
    for module, source in sorted(modules.items()):
        for imported in sorted(harness_imports(source)):
            if _within(module, ("harness.lab",)) and not _within(imported, LAB_MAY_IMPORT):
                bad.append(f"{module} -> {imported} (the lab reaches the harness only over the wire)")
            elif _within(module, CONTRACTS) and not _within(imported, CONTRACTS):
                bad.append(f"{module} -> {imported} (the app contracts stand on nothing else of the harness)")
            elif not _within(module, ("harness.lab", *MAY_IMPORT_LAB)) and _within(imported, ("harness.lab",)):
                bad.append(f"{module} -> {imported} (start the lab as a process: harness.labctl)")
    return bad


def the_package() -> dict[str, str]:
    return {module_name(p): p.read_text(encoding="utf-8") for p in HARNESS.rglob("*.py")}


def test_the_package_keeps_the_contract() -> None:
    modules = the_package()
    assert len(modules) > 300  # the whole package was read
    assert violations(modules) == []


@pytest.mark.parametrize(("module", "source", "broken"), [
    ("harness.lab.android.device", "from harness.android import AndroidDriver\n", True),
    ("harness.lab.ios.mux", "def f():\n    import harness.plugin._fixtures\n", True),  # a local import counts too
    ("harness.lab.push._gateway", "from harness.reporting import RunWriter\n", True),
    ("harness.lab.android.os.apps._probe", "from harness.logs.probe import parse_probe\n", True),  # not a contract
    ("harness.lab.push._gateway", "from harness.push._redact import fingerprint\n", True),
    ("harness.lab.ios.os.location", "from harness.ios import IOSDriver\n", True),
    ("harness.contracts.probe", "from harness.logs.events import Event\n", True),
    ("harness.contracts.ring", "import harness.lab.clock\n", True),
    ("harness.android.driver", "from harness.lab.android.device import AndroidDevice\n", True),
    ("harness.plugin._lab", "import harness.lab.runner\n", True),
    ("harness.lab.android.device", "from harness.config import DeviceConfig\nfrom harness.lab.clock import Clock\n",
     False),
    ("harness.lab.ios.os.probe", "from harness.contracts.ring import RING_SIZE\n", False),
    ("harness.logs.probe", "from harness.contracts.probe import parse_probe\n", False),
    ("harness.cli._lab", "from harness.lab.runner import Lab\n", False),
    ("harness.android.driver", "from harness.labctl import state_dir\n", False),  # labctl is not the lab
])
def test_a_wrong_import_is_caught(module: str, source: str, broken: bool) -> None:
    assert bool(violations({module: source})) is broken
