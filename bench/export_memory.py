"""Memory of the ledger's Excel export: writes the first N cases of the database (as the
office sees them, newest first) for growing N and prints the time, the file size, the peak of
Python allocations (tracemalloc) and the process's peak RSS after each. Flat figures from
10,000 to 100,000 rows mean the export runs in constant memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xiaoneng_bench \\
        .venv/bin/python bench/export_memory.py 10000 50000 100000 [--no-tracemalloc]

tracemalloc slows Python down by about half; ``--no-tracemalloc`` measures the time alone
(the Python peak column then reads 0).
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from xiaoneng.cases.exports import ledger_workbook  # noqa: E402
from xiaoneng.cases.ledger import ledger_cases  # noqa: E402
from xiaoneng.org.models import User  # noqa: E402


def main() -> None:
    trace = "--no-tracemalloc" not in sys.argv
    sizes = [int(n) for n in sys.argv[1:] if n.isdigit()] or [10_000, 50_000, 100_000]
    user = User.objects.get(username="supervisor")
    cases = ledger_cases(user=user, filters={"sort": "-registered_at"})
    ledger_workbook(cases[:100])[0].close()  # warm-up: imports, translations, fonts
    print(f"{'rows':>8} {'seconds':>8} {'file MB':>8} {'py peak MB':>11} {'RSS peak MB':>12}")
    for n in sizes:
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        out, count = ledger_workbook(cases[:n])
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
        tracemalloc.stop()
        size = out.seek(0, os.SEEK_END)
        out.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{count:>8} {seconds:>8.1f} {size / 2**20:>8.1f} {peak / 2**20:>11.1f} {rss:>12.1f}")


if __name__ == "__main__":
    main()
