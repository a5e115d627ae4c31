"""How long the working-day engine takes to compute a million due dates.

    DEBUG=1 .venv/bin/python bench/workdays_due_dates.py [--count 1000000] [--n 5] [--database]

Start moments are random instants across 2024–2026, as UTC-aware datetimes (what the ORM
returns). By default the engine is built in memory from the package alone (no database
rows needed); ``--database`` uses the process-wide engine read from the default database
(which must be migrated). Only the ``due_dates`` call is timed; the result is checked
against the one-at-a-time function on a sample.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from xiaoneng.workdays.calendar import WorkCalendar, get_calendar  # noqa: E402
from xiaoneng.workdays.choices import DeadlineUnit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=5, help="working days to add")
    parser.add_argument("--unit", default=DeadlineUnit.WORKING_DAYS, choices=DeadlineUnit.values)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--database", action="store_true", help="use the engine from the DB")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    origin = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(hours=8)  # 2024-01-01 00:00 +08:00
    span = int((datetime(2027, 1, 1, tzinfo=UTC) - timedelta(hours=8) - origin).total_seconds())
    # Keep clear of the end of 2026 so that no due date runs into the unknown 2027.
    span -= 60 * 86400
    starts = [origin + timedelta(seconds=rng.randrange(span)) for _ in range(args.count)]

    t0 = time.perf_counter()
    engine = get_calendar() if args.database else WorkCalendar()
    build = time.perf_counter() - t0

    t0 = time.perf_counter()
    dues = engine.due_dates(starts=starts, n=args.n, unit=args.unit)
    elapsed = time.perf_counter() - t0

    for index in rng.sample(range(args.count), min(1000, args.count)):
        expected = engine.compute_due(start=starts[index], amount=args.n, unit=args.unit).due
        assert dues[index] == expected, (starts[index], dues[index], expected)

    print(f"engine built in {build:.3f} s ({'database' if args.database else 'in memory'})")
    print(
        f"{args.count:,} due dates ({args.n} {args.unit}) from random starts in 2024-2026: "
        f"{elapsed:.3f} s"
    )


if __name__ == "__main__":
    main()
