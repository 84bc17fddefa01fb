"""Windows sized for a real phone at 1x first, and still true on a fast lab clock.

A scenario's windows are device time. Most come from the app (a task's period) or from the OS (a Doze timer);
one kind comes from the harness itself: the wait for an action's own log line (a force-stop, a forced Doze, a
geofence refusal). On a real phone that line is there within a second of the adb round trip, so a minute is
generous. On a lab phone whose clock runs ``rate`` times faster, the same round trip (a few hundred ms of wall
time on a loaded host) is minutes of device time, so the window must also hold ``ACK_WALL_S`` of wall time.
"""

from __future__ import annotations

__all__ = ["ACK_DEVICE_S", "ACK_WALL_S", "BACKGROUND_SETTLE_S", "HOLD_S", "HOUR", "MIN", "ack_window"]

MIN = 60.0
HOUR = 3600.0
ACK_DEVICE_S = 30.0  # an action's own line at 1x: the adb round trip plus log delivery take well under a second
ACK_WALL_S = 2.5  # the harness's round trips on a loaded 2-core host (an iPhone launch over DVT), in wall seconds
# A uid goes idle a minute after its app leaves the foreground (ActivityManagerConstants BACKGROUND_SETTLE_TIME,
# 60 s): background restrictions and OEM freezers (One UI's FreecessController: "uidIdle") act from there. A quick
# cell that checks work "in the background" lets this much pass first, so those timers act as on a user's phone.
BACKGROUND_SETTLE_S = 90.0
# How long a quick cell watches a job that was made due (``cmd jobscheduler run``) stay held by the OS: JobScheduler
# starts a ready job within a second or two, so a minute of nothing is the OS holding it, not a slow phone.
HOLD_S = 60.0


def ack_window(clock_rate: float) -> float:
    """Device seconds to wait for an action's own log line on a phone whose clock runs at ``clock_rate``."""
    return max(ACK_DEVICE_S, ACK_WALL_S * clock_rate)
