"""Start-up of `zhaolu shell`: from launch to the answer of the first /start (median of 3)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(db: Path) -> float:
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot.cli", "shell", "--jsonl", "--db",
                    f"sqlite+aiosqlite:///{db}"], input="/start xiaogan-2023\n", text=True,
                   capture_output=True, check=True)
    return time.perf_counter() - begin


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        first = measure(db)
        runs = [measure(db) for _ in range(3)]
    print(f"shell start-up to first answer: first run {first:.2f} s (creates the database), "
          f"then median {statistics.median(runs):.2f} s")


if __name__ == "__main__":
    main()
