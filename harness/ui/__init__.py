"""UI automation through Appium 2: what only the screen can do (app-switcher swipe, permission prompts,
deep links, the probe's diagnostics screen, screenshots).

One ``UiSession`` per leased device (appium-python-client, opened on first use, closed at teardown, every
request under a timeout) and ``UiDriver`` with the verbs. The server is the device's ``appium_url`` or, for
lab phones, the lab's endpoint; nothing here knows which. ``AppiumProcessControl`` is the iOS driver's
``process_control = "appium"`` path.

    ui = UiDriver(cfg, cfg.device("iphone-15"))
    ui.open_app()
    ui.force_quit_like_user()
    ui.close()
"""

from harness.ui._config import appium_url_for, capabilities_for
from harness.ui._process import AppiumProcessControl
from harness.ui._session import UiSession, appium_status
from harness.ui._verbs import AppState, UiDriver

__all__ = ["AppState", "AppiumProcessControl", "UiDriver", "UiSession", "appium_status", "appium_url_for",
           "capabilities_for"]
