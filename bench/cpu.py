"""CPU time per component of a bench run, read from /proc (Linux): what a shared machine's
wall-clock figures hide. Each reading is user + system seconds of a process since it started;
a run's cost is the difference of two readings, divided by the updates it handled.

Components: the `zhaolu run` workers (by pid), this process (the loopback Bot API, the balancer
and the simulated users), the PostgreSQL backends serving the workers (found by the
`application_name` the workers set, `zhaolu host:pid:nonce`: a backend that closed between the
readings is missed, so the figure is a lower bound), and the Redis server (shared with whatever
else uses it on the machine).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def user_system(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a live process; zeros when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK  # utime, stime (fields 14, 15)


def seconds(pid: int) -> float:
    """User + system CPU seconds of a live process; 0 when it is gone."""
    return sum(user_system(pid))


def _pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def postgres_backends(database_url: str) -> list[int]:
    """Pids of the backends whose application_name is a zhaolu worker's."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    try:
        out = subprocess.run(  # noqa: S603 - psql with our own arguments
            ["psql", "-qAt", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
             "-U", url.username or "postgres", "-d", url.database or "postgres", "-c",
             "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'zhaolu %'"],
            capture_output=True, text=True, timeout=10, check=False,
            env={**os.environ, **({"PGPASSWORD": url.password} if url.password else {})})
    except (OSError, subprocess.SubprocessError):
        return []
    return [int(line) for line in out.stdout.split() if line.isdigit()]


@dataclass
class Reading:
    workers: dict[int, float]
    workers_system: float
    bench: float
    postgres: dict[int, float]
    redis: float
    at: float = field(default_factory=time.monotonic)


@dataclass
class CpuMeter:
    """Two readings around a run; `report(updates)` gives ms of CPU per update per component."""

    worker_pids: list[int]
    database_url: str | None = None
    start: Reading | None = None
    end: Reading | None = None
    notes: list[str] = field(default_factory=list)

    def read(self) -> Reading:
        backends = postgres_backends(self.database_url) if self.database_url else []
        return Reading(
            workers={pid: seconds(pid) for pid in self.worker_pids},
            workers_system=sum(user_system(pid)[1] for pid in self.worker_pids),
            bench=sum(os.times()[:2]),
            postgres={pid: seconds(pid) for pid in backends},
            redis=sum(seconds(pid) for pid in _pids_named("redis-server")))

    def begin(self) -> None:
        self.start = self.read()

    def finish(self) -> None:
        self.end = self.read()

    def figures(self) -> dict[str, float]:
        """CPU seconds per component over the run."""
        assert self.start is not None and self.end is not None
        a, b = self.start, self.end
        workers = [b.workers[p] - a.workers.get(p, 0.0) for p in self.worker_pids]
        postgres = sum(b.postgres[p] - a.postgres.get(p, 0.0) for p in b.postgres)
        return {"workers": sum(workers), "workers_system": b.workers_system - a.workers_system,
                **{f"worker{i}": w for i, w in enumerate(workers)},
                "postgres": postgres, "redis": b.redis - a.redis, "bench": b.bench - a.bench}

    def report(self, updates: int) -> str:
        assert self.start is not None and self.end is not None
        wall = self.end.at - self.start.at
        f = self.figures()
        per = {k: 1000 * v / max(updates, 1) for k, v in f.items()}
        total = per["workers"] + per["postgres"] + per["redis"] + per["bench"]
        each = "/".join(f"{per[f'worker{i}']:.1f}" for i in range(len(self.worker_pids)))
        return (f"CPU per update: workers {per['workers']:.1f} ms ({each}; "
                f"{per['workers_system']:.1f} of it in the kernel), PostgreSQL "
                f"backends {per['postgres']:.1f} ms, Redis {per['redis']:.2f} ms, bench process "
                f"(loopback, balancer, users) {per['bench']:.1f} ms; {total:.1f} ms in all = "
                f"{1000 / total if total else 0:.0f} updates/s per CPU; workers busy "
                f"{f['workers'] / wall:.2f} CPUs over {wall:.0f} s; load average "
                f"{os.getloadavg()[0]:.1f}")
