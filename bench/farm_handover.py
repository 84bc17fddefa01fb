"""The farm's lease costs on loopback PostgreSQL, next to the file store's, in one run.

- hand-over: how long a phone sits idle between one controller's release and the waiting controller
  that takes it. The file store's waiter polls (every ``DEFAULT_POLL_S``); the farm's is woken by
  LISTEN/NOTIFY. Goal for the farm: a median of 20 ms or less.
- acquire + release of a free phone through the farm: the overhead on every test. Goal: 5 ms or less.
- ``Lease.check()``: the cost of guarding a device action with it.

A private cluster (``harness.farm.start_cluster``) is started for the run and removed afterwards.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.farm import FarmError, PgLeaseStore, start_cluster
from harness.pool import DEFAULT_POLL_S, Lease, LeaseStore, Pool


def _give_back(lease: Lease, after_s: float, released_at: list[float]) -> None:
    time.sleep(after_s)
    released_at.append(time.perf_counter())
    lease.release()


def handover_ms(holder: Pool, waiter: Pool, rounds: int) -> list[float]:
    """The holder releases at a random moment from another thread; we time the waiter taking the phone."""
    samples: list[float] = []
    rng = random.Random(1)  # random release moments, else the file store's delay locks onto its poll phase
    for _ in range(rounds):
        lease = holder.acquire("moto-g", timeout_s=5, holder="bench::holder")
        released_at: list[float] = []
        threading.Thread(target=_give_back, args=(lease, rng.uniform(0.01, 0.3), released_at)).start()
        mine = waiter.acquire("moto-g", timeout_s=5, holder="bench::waiter")
        samples.append((time.perf_counter() - released_at[0]) * 1000)
        mine.release()
    return samples


def acquire_release_ms(pool: Pool, cycles: int) -> list[float]:
    samples: list[float] = []
    for _ in range(cycles):
        start = time.perf_counter()
        pool.acquire("pixel-8", timeout_s=5, holder="bench::cycle").release()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def check_ms(pool: Pool, cycles: int) -> list[float]:
    """``Lease.check()``: what guarding every device action with it would cost."""
    samples: list[float] = []
    with pool.acquire("pixel-8", timeout_s=5, holder="bench::check") as lease:
        for _ in range(cycles):
            start = time.perf_counter()
            lease.check()
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def _pools(state: Path, make_store: type[PgLeaseStore] | None, url: str = "") -> tuple[Pool, Pool]:
    stores: list[LeaseStore | None] = [None, None]
    if make_store is not None:
        stores = [make_store(url, hostname="controller-a"), make_store(url, hostname="controller-b")]
    return Pool(state, "bench-a", store=stores[0]), Pool(state, "bench-b", store=stores[1])


def main(rounds: int = 30, cycles: int = 300) -> None:
    try:
        cluster = start_cluster(prefix="bgh-bench-pg-")
    except FarmError as exc:
        print(f"skipped: {exc}")
        return
    try:
        url = cluster.create_database("bench")
        with tempfile.TemporaryDirectory() as tmp:
            files = _pools(Path(tmp), None)
            farm = _pools(Path(tmp), PgLeaseStore, url)
            acquire_release_ms(farm[0], 20)  # warm-up: connections, the schema, prepared statements
            file_delay, farm_delay = handover_ms(*files, rounds), handover_ms(*farm, rounds)
            cost = acquire_release_ms(farm[0], cycles)
            checks = check_ms(farm[0], cycles)
            for pool in (*files, *farm):
                pool.close()
    finally:
        cluster.stop()
    file_median, farm_median = statistics.median(file_delay), statistics.median(farm_delay)
    print(f"hand-over to a waiting controller, median over {rounds}: farm (LISTEN/NOTIFY) {farm_median:.1f} ms "
          f"(max {max(farm_delay):.1f}; goal <= 20 ms) vs file store polling every {DEFAULT_POLL_S * 1000:.0f} ms "
          f"{file_median:.1f} ms (max {max(file_delay):.1f}): {file_median / farm_median:.0f}x faster")
    print(f"acquire+release of a free phone on loopback PostgreSQL, median over {cycles}: "
          f"{statistics.median(cost):.2f} ms (p90 {statistics.quantiles(cost, n=10)[-1]:.2f} ms; goal <= 5 ms)")
    print(f"Lease.check() against the farm, median over {cycles}: {statistics.median(checks):.2f} ms")


if __name__ == "__main__":
    main()
