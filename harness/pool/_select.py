"""Pick devices from the pool by name, platform, OEM and tags.

The rule is the one a command line suggests: different filters narrow the pool (AND), repeating a
filter widens it (OR), so ``--oem xiaomi --oem oppo --platform android`` means
"an Android phone made by Xiaomi or Oppo". Tags follow the same rule: ``tags=("doze", "sim")``
matches a phone carrying either tag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness.config._model import OEMS, PLATFORMS, Config, DeviceConfig
from harness.errors import ConfigError

__all__ = ["select"]

Filter = str | Sequence[str] | None


def _values(value: Filter) -> tuple[str, ...]:
    """A filter given once (``"x"``) or repeated (``["x", "y"]``) as a tuple; empty means "any"."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _check_known(cfg: Config, option: str, wanted: Iterable[str], known: Iterable[str]) -> None:
    # A typo in a filter would otherwise select nothing and the run would "pass" with zero tests.
    known_set = set(known)
    unknown = [w for w in wanted if w not in known_set]
    if unknown:
        raise ConfigError(cfg.path, option, f"unknown value(s) {', '.join(map(repr, unknown))}",
                          f"known: {', '.join(sorted(known_set)) or 'none'}")


def select(
    cfg: Config,
    device: Filter = None,
    platform: Filter = None,
    oem: Filter = None,
    tags: Filter = (),
) -> list[DeviceConfig]:
    """The configured devices matching every given filter, in ``devices.toml`` order.

    ``device``, ``platform`` and ``oem`` must name things that exist (a device in the file, a known
    platform, a known OEM), else :class:`ConfigError`; tags are free-form. An empty result is not an
    error here: the caller decides whether "no phone matched" fails the run or skips.
    """
    names = _values(device)
    platforms = tuple(p.lower() for p in _values(platform))
    oems = tuple(o.lower() for o in _values(oem))
    wanted_tags = set(_values(tags))
    _check_known(cfg, "device", names, (d.name for d in cfg.devices))
    _check_known(cfg, "platform", platforms, PLATFORMS)
    _check_known(cfg, "oem", oems, OEMS)
    return [
        dev for dev in cfg.devices
        if (not names or dev.name in names)
        and (not platforms or dev.platform in platforms)
        and (not oems or dev.oem.lower() in oems)
        and (not wanted_tags or wanted_tags.intersection(dev.tags))
    ]
