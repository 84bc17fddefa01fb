"""How much discretionary background time dasd gives an app: an engagement score and daily slots.

Apple does not publish dasd's policy. What it does say, and what this model keeps:

- BGProcessingTaskRequest: "The system will attempt to fulfill this request to the best of its ability
  within the next two days as long as the user has used your app within the past week"
  (BackgroundTasks ``BGTaskRequest.h``, mirrored in objc2-background-tasks' docs): an app not used for a
  week gets nothing.
- Background fetch and BGAppRefreshTask launches follow the user's usage of the app (Apple's background
  app refresh documentation, paraphrased): use earns time, neglect loses it.

The numbers are the lab's: each foreground use adds ``USE_GAIN`` to a score capped at 1, the score halves
for every full day without a use, and the score maps to launches per rolling day (``SLOT_TABLE``). An app
opened once a day settles near 0.5 → 4 launches a day; an app opened once and then ignored has 2 slots on
the first day, 1 on the second and none from the third: starved.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DAY_S", "SLOT_TABLE", "USE_GAIN", "WEEK_S", "Engagement"]

DAY_S = 86_400.0
WEEK_S = 7 * DAY_S
USE_GAIN = 0.25
# (lowest score, launches per rolling day), best first
SLOT_TABLE: tuple[tuple[float, int], ...] = ((0.6, 6), (0.4, 4), (0.2, 2), (0.1, 1))


@dataclass
class Engagement:
    """One app's engagement; pure (the caller passes device time)."""

    score_at_use: float = 0.0
    last_use_s: float | None = None

    def score(self, now_s: float) -> float:
        if self.last_use_s is None:
            return 0.0
        idle_days = int(max(0.0, now_s - self.last_use_s) // DAY_S)
        return self.score_at_use * 0.5**idle_days

    def record_use(self, now_s: float) -> None:
        """The app came to the foreground (whatever brought it there: the user, a link, a developer tool)."""
        self.score_at_use = min(1.0, self.score(now_s) + USE_GAIN)
        self.last_use_s = now_s

    def slots(self, now_s: float) -> int:
        """Discretionary launches dasd allows in a rolling day; 0 when unused for a week or ignored for days."""
        if self.last_use_s is None or now_s - self.last_use_s > WEEK_S:
            return 0
        score = self.score(now_s)
        return next((slots for lowest, slots in SLOT_TABLE if score >= lowest), 0)
