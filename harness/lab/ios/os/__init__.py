"""The virtual iPhone's iOS 17/18 background-execution model (``IOSModel``), attached with ``attach_system``.

Parts: ``processes`` (RunningBoard: launch, roles, suspension, termination), ``scheduler`` (dasd:
BGTaskScheduler requests and background fetch, gated by ``engagement``), ``push`` (silent pushes: budget,
held push), ``location`` (authorization, regions), ``power`` (lock, first unlock, Low Power Mode,
Background App Refresh), ``app`` + ``runs`` + ``probe`` (the modelled Expo app and its probe), ``texts``
(every log line, with its source), ``system`` (the model that ties them together).
"""

from harness.lab.ios.os.app import GEOFENCE_ARGUMENT, ExpoApp
from harness.lab.ios.os.system import IOSModel, attach_system, bundle_for

__all__ = ["GEOFENCE_ARGUMENT", "ExpoApp", "IOSModel", "attach_system", "bundle_for"]
