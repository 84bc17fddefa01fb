"""The harness's "app not installed" path against a phone whose app was really uninstalled (``adb uninstall``), not
against a package name the phone never had: the driver's ``installed()`` reads ``pm path`` (exit 1 once the
package is gone, PackageManagerShellCommand.runPath), and ``require_app`` turns that into the cell's error."""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.errors import DeviceError
from harness.plugin._fixtures import require_app
from tests import labkit

NAME = "pixel-8"


def test_an_uninstalled_app_is_the_app_not_installed_error() -> None:
    with labkit.one_phone_lab(NAME, clock="virtual") as lab:
        cfg, dev = lab.cfg, lab.cfg.device(NAME)
        package = cfg.app.android_package
        assert package is not None
        driver = AndroidDriver.for_device(cfg, dev)
        assert driver.installed()
        require_app(driver, dev, cfg.app)  # installed: no error

        removed = lab.adb(NAME, "uninstall", package)
        assert (removed.stdout, removed.code) == ("Success\n", 0)

        assert not driver.installed()
        with pytest.raises(DeviceError, match=rf"\[{NAME}\] app: app not installed: {package} is not on the phone"):
            require_app(driver, dev, cfg.app)
