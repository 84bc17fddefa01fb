"""Headless task statelessness: what the task recorded survives the death of its process.

Requirement: a background run's results are persisted (the probe's ring buffer stands for the app's
own queue) so that they are still there after the process is killed and can be reconciled when the
user opens the app. A failure means work done in the background is lost with the process.
"""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from harness.android.knobs import due_now
from harness.logs.expect import Expect
from harness.plan import cost
from harness.plugin import App

ROLE = "periodic"  # the role in devices.toml [[app.task]] (docs/adopting.md)


# Not on One UI: FreecessController freezes the app a minute after it goes to the background, so whether a
# run happens here depends on when the job is due, not on what survives (test_periodic_sync has that kill).
@pytest.mark.oem("google", "xiaomi", "oppo")
@cost(lambda c: c.ack + c.duration(c.app.role_name(ROLE)))
def test_task_results_survive_process_death(android: AndroidDriver, timeline: Expect, app: App) -> None:
    task = app.role(ROLE)
    android.launch()
    android.home()
    timeline.reset()
    due_now(android, timeline, task)  # a run now, not in a period (scenarios/_knobs.py)
    fired = timeline.task_fired(task, within_s=timeline.ack_s)
    runs_before = [e for e in android.ring_buffer() if e.get("task") == task and e.get("event") == "task_start"]
    assert runs_before, "the task ran but left nothing in its ring buffer"

    android.kill()  # the process dies in the background, as the low-memory killer would do it
    android.force_stop()
    assert not android.process().running
    runs_after = [e for e in android.ring_buffer() if e.get("task") == task and e.get("event") == "task_start"]
    assert runs_after[-1] == runs_before[-1], f"the last run ({fired.time_text}) was lost with the process"
