"""`make bench`: every benchmark module in order, each in its own process, one figure a line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

ORDER = ("shell", "fsm", "qa", "delivery", "announce", "xlsx", "deadline", "storm", "workers",
         "proxy")


def main() -> int:
    failed = []
    for name in ORDER:
        if importlib.util.find_spec(f"bench.{name}") is None:
            print(f"== {name}: not present")
            continue
        print(f"== {name}", flush=True)
        code = subprocess.call([sys.executable, "-c", f"import bench.{name} as m; m.main()"])
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
