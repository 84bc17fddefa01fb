"""Who else is on a lab phone: the apps and system processes whose lines fill its log.

Package names are those of a Pixel's preinstalled apps and of common store apps; uids are app ids (10000+) as
PackageManager hands them out. The system processes keep the pids of the lab's process table
(``os/processes.py``) where it has them; the others (lmkd, statsd, keystore2, Wi-Fi) have the pids and uids
they have on a Pixel 8 (``ps -A``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GMS_SERVICES", "PACKAGES", "SYSTEM", "WORKERS", "Proc"]


@dataclass(frozen=True, slots=True)
class Proc:
    pid: int
    uid: int
    name: str


SYSTEM: dict[str, Proc] = {
    "init": Proc(1, 0, "init"),
    "logd": Proc(330, 1036, "logd"),
    "lmkd": Proc(341, 1069, "lmkd"),
    "statsd": Proc(520, 1066, "statsd"),
    "installd": Proc(560, 0, "installd"),
    "keystore2": Proc(571, 1017, "keystore2"),
    "zygote64": Proc(612, 0, "zygote64"),
    "sf": Proc(640, 1000, "surfaceflinger"),
    "wpa_supplicant": Proc(1104, 1010, "wpa_supplicant"),
    "system_server": Proc(1416, 1000, "system_server"),
    "wifi": Proc(1416, 1000, "system_server"),  # the Wi-Fi stack runs in system_server's com.android.wifi apex
    "systemui": Proc(1890, 10120, "com.android.systemui"),
    "phone": Proc(2105, 1001, "com.android.phone"),
    "gms": Proc(2330, 10140, "com.google.android.gms.persistent"),
}

# (package, uid): installed apps other than the one under test.
PACKAGES: tuple[tuple[str, int], ...] = (
    ("com.google.android.gms", 10140), ("com.google.android.gsf", 10140), ("com.android.vending", 10136),
    ("com.google.android.apps.nexuslauncher", 10142), ("com.google.android.googlequicksearchbox", 10155),
    ("com.google.android.apps.photos", 10154), ("com.google.android.apps.messaging", 10149),
    ("com.google.android.dialer", 10146), ("com.google.android.calendar", 10158), ("com.google.android.gm", 10160),
    ("com.google.android.youtube", 10161), ("com.android.chrome", 10151), ("com.google.android.apps.maps", 10163),
    ("com.google.android.apps.wellbeing", 10131), ("com.google.android.inputmethod.latin", 10148),
    ("com.google.android.deskclock", 10147), ("com.google.android.apps.turbo", 10133),
    ("com.google.android.as", 10137), ("com.google.android.ext.services", 10132),
    ("com.google.android.apps.docs", 10164), ("com.google.android.keep", 10165), ("com.google.android.tts", 10166),
    ("com.google.android.apps.walletnfcrel", 10167), ("com.google.android.contacts", 10145),
    ("com.google.android.apps.tachyon", 10168), ("com.google.android.apps.safetyhub", 10139),
    ("com.google.android.partnersetup", 10134), ("com.google.android.apps.restore", 10135),
    ("com.google.android.apps.weather", 10169), ("com.google.android.apps.recorder", 10170),
    ("com.google.android.providers.media.module", 10129), ("com.android.providers.calendar", 10143),
    ("com.whatsapp", 10201), ("com.spotify.music", 10202), ("com.instagram.android", 10203),
    ("com.facebook.katana", 10204), ("org.telegram.messenger", 10205), ("com.netflix.mediaclient", 10206),
    ("com.ubercab", 10207), ("com.twitter.android", 10208), ("com.snapchat.android", 10209),
    ("com.zhiliaoapp.musically", 10210), ("com.amazon.mShop.android.shopping", 10211), ("com.discord", 10212),
    ("com.duolingo", 10213), ("com.strava", 10214), ("com.microsoft.teams", 10215), ("com.Slack", 10216),
    ("com.pinterest", 10217), ("com.reddit.frontpage", 10218), ("com.shazam.android", 10219),
    ("com.dropbox.android", 10220), ("com.google.android.apps.fitness", 10221), ("com.airbnb.android", 10222),
)

# Chimera modules gms starts and stops (what "Shutting down chimera service" names).
GMS_SERVICES = ("GmsApiService", "PersistentApiService", "PersistentDirectBootAwareApiService",
                "GmsBoundBrokerService", "PersistentIntentOperationService", "GmsIntentOperationService")

# WorkManager tags other apps put on their work: the worker's class name.
WORKERS = ("androidx.work.impl.workers.DiagnosticsWorker", "androidx.work.impl.workers.ConstraintTrackingWorker",
           "androidx.work.impl.workers.CombineContinuationsWorker")
