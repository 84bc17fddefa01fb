"""FCM on the phone: Google Play services receives a data message and broadcasts it to the app.

Delivery rules (developer.android.com/topic/performance/power/power-details; reference/android.md §4.2):

- Doze: "High priority: No restriction. Normal priority: Deferred to window" — a normal-priority message
  waits while ``dev.power.dozing()`` and is broadcast at the next maintenance window or exit.
- App Standby Buckets, on battery: high-priority messages capped at 10/day (FREQUENT), 5/day (RARE,
  RESTRICTED); "any messages after the cap is reached are treated as normal-priority messages". The
  page adds that these caps apply to Android 12 (API 32) and lower only, so the lab applies them when
  ``ro.build.version.sdk`` ≤ 32 (the lab's phones run 14/15: no cap there).
- "User Restricts Background Activity": FCM "No restriction".
- A force-stopped app (the stopped state) gets nothing: Play services' broadcast is cancelled, logged as
  ``W GCM: broadcast intent callback: result=CANCELLED for Intent { act=com.google.android.c2dm.intent.RECEIVE
  flg=0x10000000 pkg=<pkg> (has extras) }`` (hansemannn/titanium-firebase-cloud-messaging#24; the older
  ``GCM-DMM … forIntent`` form is zo0r/react-native-push-notification#104). Every message first logs
  ``I GCM: GCM message <pkg> 0:<µs>%<hex>`` (phonegap/phonegap-plugin-push#211).

The broadcast goes to ``com.google.firebase.iid.FirebaseInstanceIdReceiver`` (``Start proc … for broadcast
{<pkg>/…FirebaseInstanceIdReceiver}``); a frozen process is thawed to receive it, as AOSP's broadcast queue
does (``CachedAppOptimizer.unfreezeTemporarily``, reason START_RECEIVER). In the app the probe logs
``BgProbe v1 wake reason=push``, reports the wake to the collector, and runs each ``kind = "push"`` task
(``trigger=push``) — what an Expo/React Native Firebase background message handler does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.apps._collector import CollectorClient
from harness.lab.android.os.apps._expo import TaskRunner
from harness.lab.android.os.apps._host import AppHost
from harness.lab.android.os.apps._probe import Probe

if TYPE_CHECKING:
    from harness.config import TaskConfig
    from harness.lab.android.device import AndroidDevice

__all__ = ["GMS_PID", "RECEIVER", "FcmService", "PushReceiver", "deliver_fcm"]

GMS_PID = 2330  # com.google.android.gms.persistent in the lab's process table
RECEIVE = "com.google.android.c2dm.intent.RECEIVE"
RECEIVER = "com.google.firebase.iid.FirebaseInstanceIdReceiver"
DAY_S = 86_400.0
HIGH_PRIORITY_CAPS = {30: 10, 40: 5, 45: 5}  # bucket → high-priority messages per day (API ≤ 32, on battery)


class PushReceiver:
    """The app's side: what the JS background message handler does with a data message."""

    def __init__(self, host: AppHost, probe: Probe, runner: TaskRunner, tasks: Callable[[], list[TaskConfig]]) -> None:
        self.host, self.probe, self.runner, self.tasks = host, probe, runner, tasks
        self.collector = CollectorClient(host)

    def on_message(self, data: dict[str, str]) -> None:
        del data  # the app's handler would read it; the probe records the wake, not the payload
        tasks = self.tasks()
        self.probe.emit("wake", reason="push", **({"task": tasks[0].name} if tasks else {}))
        self.collector.report("push", tasks[0].name if tasks else None)
        am, package = self.host.am, self.host.package
        for task in tasks:
            am.begin_work(package)
            self.runner.run(task, "push", lambda _result: am.end_work(package))


class FcmService:
    """Play services on one phone: the per-app high-priority counts and the messages Doze holds back."""

    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.high_sent: dict[str, list[float]] = {}
        self.held: list[tuple[str, dict[str, str]]] = []
        power = getattr(dev, "power", None)
        if power is not None:
            power.on_change(self._power_changed)

    def deliver(self, package: str, data: dict[str, str], *, high: bool) -> str:
        """A message for ``package`` reached the phone: ``delivered``, ``deferred`` (Doze) or ``dropped``."""
        pkg = self.dev.packages.get(package)
        now = self.dev.clock.now()
        self._gcm("I", f"GCM message {package} 0:{int(now * 1_000_000)}%{self.dev.rng.getrandbits(64):016x}")
        if pkg is None:
            return "dropped"
        if pkg.stopped:
            self._gcm("W", f"broadcast intent callback: result=CANCELLED for Intent {{ act={RECEIVE} "
                           f"flg=0x10000000 pkg={package} (has extras) }}")
            return "dropped"
        if high and not self._within_cap(package, now):
            high = False
        power = getattr(self.dev, "power", None)
        if not high and power is not None and power.dozing():
            self.held.append((package, data))
            return "deferred"
        self._broadcast(package, data)
        return "delivered"

    def _gcm(self, prio: str, msg: str) -> None:
        self.dev.logs.write("main", prio, "GCM", msg, pid=GMS_PID, tid=GMS_PID + 41, uid=10_140)

    def _within_cap(self, package: str, now: float) -> bool:
        standby = getattr(self.dev, "standby", None)
        power = getattr(self.dev, "power", None)
        if self.dev.sdk > 32 or standby is None or (power is not None and power.charging()):
            return True
        sent = [t for t in self.high_sent.get(package, []) if now - t < DAY_S]
        cap = HIGH_PRIORITY_CAPS.get(standby.bucket(package))
        if cap is not None and len(sent) >= cap:
            self.high_sent[package] = sent
            return False
        self.high_sent[package] = [*sent, now]
        return True

    def _power_changed(self, what: str) -> None:
        if what not in ("deep", "light") or not self.held or self.dev.power.dozing():
            return
        held, self.held = self.held, []
        for package, data in held:
            pkg = self.dev.packages.get(package)
            if pkg is not None and not pkg.stopped:
                self._broadcast(package, data)

    def _broadcast(self, package: str, data: dict[str, str]) -> None:
        from harness.lab.android.os.apps import app_of  # noqa: PLC0415 - the apps package imports this module: a cycle

        am = app_of(self.dev, package).am
        am.ensure_process(package, "broadcast", f"{package}/{RECEIVER}")
        am.set_frozen(package, False, "broadcast")
        am.post(package, lambda: app_of(self.dev, package).push.on_message(data))


def fcm_service(dev: AndroidDevice) -> FcmService:
    service = getattr(dev, "gms_fcm", None)
    if not isinstance(service, FcmService):
        service = FcmService(dev)
        dev.gms_fcm = service  # type: ignore[attr-defined]
    return service


def deliver_fcm(dev: AndroidDevice, package: str, data: dict[str, str], *, high: bool) -> str:
    """What the lab's FCM gateway calls: the message reached the phone's Play services."""
    return fcm_service(dev).deliver(package, data, high=high)
