"""What a lease costs: the median acquire+release of a free device, and the hand-over delay to a waiter.

The first number is the pool's overhead on every test (file lock, record read, atomic record write,
delete). The second is how long a device sits idle between a release and the waiter that takes it,
which the poll interval bounds (``harness.pool.DEFAULT_POLL_S``).
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

from harness.pool import DEFAULT_POLL_S, Lease, Pool


def acquire_release_us(state: Path, cycles: int) -> list[float]:
    samples: list[float] = []
    with Pool(state, "bench") as pool:
        for _ in range(cycles):
            start = time.perf_counter()
            pool.acquire("pixel-8", timeout_s=5, holder="bench::cycle").release()
            samples.append((time.perf_counter() - start) * 1e6)
    return samples


def _give_back(lease: Lease, after_s: float, released_at: list[float]) -> None:
    time.sleep(after_s)
    released_at.append(time.perf_counter())
    lease.release()


def handover_ms(state: Path, rounds: int) -> list[float]:
    """A holder in another thread (its own Pool: to the pool, another owner) releases; we time the waiter."""
    samples: list[float] = []
    rng = random.Random(1)  # release at random moments, else the delay locks onto the poll phase
    holder_pool, waiter_pool = Pool(state, "bench-a"), Pool(state, "bench-b")
    for _ in range(rounds):
        lease = holder_pool.acquire("moto-g", timeout_s=5, holder="bench::holder")
        released_at: list[float] = []
        threading.Thread(target=_give_back, args=(lease, rng.uniform(0.01, 0.3), released_at)).start()
        mine = waiter_pool.acquire("moto-g", timeout_s=5, holder="bench::waiter")
        samples.append((time.perf_counter() - released_at[0]) * 1000)
        mine.release()
    holder_pool.close()
    waiter_pool.close()
    return samples


def main(cycles: int = 500, rounds: int = 30) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        acquire_release_us(state, 20)  # warm-up: directories, imports, page cache
        cost = acquire_release_us(state, cycles)
        print(f"acquire+release of a free device, median over {cycles}: {statistics.median(cost):.0f} µs "
              f"(p90 {statistics.quantiles(cost, n=10)[-1]:.0f} µs)")
        delay = handover_ms(state, rounds)
        print(f"hand-over to a waiter polling every {DEFAULT_POLL_S * 1000:.0f} ms, median over {rounds}: "
              f"{statistics.median(delay):.1f} ms (max {max(delay):.1f} ms)")


if __name__ == "__main__":
    main()
