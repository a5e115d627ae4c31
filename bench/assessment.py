"""Time an assessment's computation at scale: python bench/assessment.py [--cases N]

Run from the project root with DATABASE_URL set (PostgreSQL). Steps, each skipped when done
already (re-runnable on the same database):

1. migrate and load the demo district when the database is empty; add generated cases with
   ``bench/generate_cases.py`` until it holds N;
2. add 500 departments (BENCH-U001…) and 10 staff accounts in each (5,000 handlers);
3. spread the generated cases' handling over them: the lead (or sole) assignments get a bench
   unit (skewed, a few units many cases) and one of its handlers, and 2 % of the substantiated
   cases an accountability decision (a tenth of them 效能告诫, against the unit and its handler);
4. two schemes for the year with the most cases, 500 units and 5,000 individuals, each with
   every case indicator of the registry, an evaluated indicator scored by two evaluators,
   bonus and deduction items and a veto item; scoring started and the scores given;
5. the computation of each scheme, timed (the same service the background task runs), with a
   progress bar; the figures go to bench/results/assessment-<db>-<N>.txt.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.db.models.functions import ExtractYear  # noqa: E402

from xiaoneng.assessments import services as s  # noqa: E402
from xiaoneng.assessments.choices import (  # noqa: E402
    IndicatorKind,
    RunStatus,
    SchemeStatus,
    TargetKind,
)
from xiaoneng.assessments.indicators.registry import sources  # noqa: E402
from xiaoneng.assessments.models import Evaluation, Scheme, TargetGroup  # noqa: E402
from xiaoneng.cases.models import Accountability, Assignment, Case  # noqa: E402
from xiaoneng.org.choices import Role, UnitKind  # noqa: E402
from xiaoneng.org.models import RoleAssignment, Unit, User  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS, STAFF = 500, 10
PREFIX = "BENCH-U"
RULES = {
    "rate": ("linear", {"lower": "60", "upper": "100"}),
    "count": ("per_occurrence", {"per": "0.5", "cap": "5"}),
}


def say(text: str, out: list[str]) -> None:
    print(text, flush=True)
    out.append(text)


def ensure_cases(n: int, out: list[str]) -> None:
    call_command("migrate", verbosity=0)
    if not Unit.objects.filter(code="TZ").exists():
        call_command("demo_load", quiet_logins=True)
    have = Case.objects.count()
    if have < n:
        say(f"generating {n - have} cases (bench/generate_cases.py)", out)
        subprocess.run(  # noqa: S603
            [sys.executable, os.path.join(HERE, "generate_cases.py"), str(n - have)], check=True
        )
    say(f"cases in the database: {Case.objects.count()}", out)


@transaction.atomic
def ensure_units() -> tuple[list[Unit], dict[int, list[int]]]:
    district = Unit.objects.get(code="TZ")
    existing = {u.code: u for u in Unit.objects.filter(code__startswith=PREFIX)}
    new = [
        Unit(code=f"{PREFIX}{i:03d}", name=f"基准测试单位{i:03d}", short_name=f"测试单位{i:03d}",
             kind=UnitKind.DEPARTMENT, parent=district, order=10000 + i)
        for i in range(1, UNITS + 1)
        if f"{PREFIX}{i:03d}" not in existing
    ]  # fmt: skip
    Unit.objects.bulk_create(new)
    units = list(Unit.objects.filter(code__startswith=PREFIX).order_by("code"))
    password = make_password(None)
    bench_users = User.objects.filter(username__startswith="bench.")
    have = set(bench_users.values_list("username", flat=True))
    users = [
        User(username=f"bench.{u.code[-3:]}.{k}", name=f"测试{u.code[-3:]}号{k}", unit=u,
             password=password)
        for u in units
        for k in range(STAFF)
        if f"bench.{u.code[-3:]}.{k}" not in have
    ]  # fmt: skip
    User.objects.bulk_create(users, batch_size=2000)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, role=Role.HANDLER) for u in users], batch_size=2000
    )
    staff: dict[int, list[int]] = {}
    for pk, unit_id in User.objects.filter(username__startswith="bench.").values_list(
        "pk", "unit_id"
    ):
        staff.setdefault(unit_id, []).append(pk)
    return units, staff


def spread(units: list[Unit], staff: dict[int, list[int]], out: list[str]) -> None:
    """Give the lead assignments not yet spread a bench unit and handler, and 2 % of their
    substantiated cases an accountability decision (incremental: after more cases are
    generated, only the new ones are spread)."""
    ids = [u.pk for u in units]
    lead = Assignment.objects.filter(role__in=["lead", "sole"]).exclude(unit_id__in=ids)
    pending = list(lead.values_list("pk", flat=True))
    if not pending:
        return
    t = time.perf_counter()
    weights = [1.0 / (i + 1) ** 0.5 for i in range(len(ids))]
    rng = random.Random(2026 + len(pending))
    rows = []
    for pk in pending:
        unit = rng.choices(ids, weights)[0]
        rows.append(f"{pk}\t{unit}\t{rng.choice(staff[unit])}")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_spread (id bigint, unit_id bigint, handler bigint)")
        with cursor.copy("COPY bench_spread FROM STDIN") as copy:
            copy.write(("\n".join(rows) + "\n").encode())
        cursor.execute(
            "UPDATE cases_assignment a SET unit_id = b.unit_id, handler_id = b.handler "
            "FROM bench_spread b WHERE a.id = b.id"
        )
        cursor.execute("DROP TABLE bench_spread")
        cursor.execute("ANALYZE cases_assignment")
    recorder = User.objects.get(username="supervisor")
    chosen = list(
        Assignment.objects.filter(
            pk__in=pending, case__finding__in=["substantiated", "partly"]
        ).values_list("case_id", "unit_id", "handler_id", "case__registered_at")
    )
    rng.shuffle(chosen)
    decisions = [
        Accountability(case_id=case, unit_id=unit, person_id=handler, recorded_by=recorder,
                       kind="efficiency_warning" if i % 10 == 0 else "criticism",
                       decided_on=registered.date(), recorded_at=registered)
        for i, (case, unit, handler, registered) in enumerate(chosen[: len(chosen) // 50])
    ]  # fmt: skip
    Accountability.objects.bulk_create(decisions, batch_size=2000)
    seconds = time.perf_counter() - t
    say(f"spread {len(rows)} lead assignments over {len(ids)} units, "
        f"{len(decisions)} accountability decisions ({seconds:.1f} s)", out)  # fmt: skip


def busiest_year() -> int:
    rows = (
        Case.objects.annotate(y=ExtractYear("registered_at"))
        .values("y")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return rows[0]["y"]


def ensure_scheme(kind: str, year: int, group: TargetGroup, actor: User) -> Scheme:
    name = f"BENCH {year} {kind}"
    scheme = Scheme.objects.filter(name=name).first()
    if scheme is not None:
        return scheme
    scheme = s.scheme_create(actor=actor, name=name, group=group, year=year, target_kind=kind)

    def add(**values):
        scheme.refresh_from_db()
        return s.indicator_save(
            actor=actor, scheme=scheme, data=s.IndicatorData(**values), version=scheme.version
        )

    cases = add(name="效能投诉", kind=IndicatorKind.GROUP)
    for source in sources(target_kind=kind):
        rule, params = RULES[source.kind]
        add(name=str(source.label)[:100], kind=IndicatorKind.COMPUTED, parent=cases,
            weight=Decimal(5), source=source.code, rule=rule, rule_params=params)  # fmt: skip
    evaluated = add(name="综合评价", kind=IndicatorKind.EVALUATED, weight=Decimal(30),
                    aggregation="trimmed", no_data="zero")  # fmt: skip
    add(name="加减分", kind=IndicatorKind.ADJUSTMENT, weight=Decimal(10), max_deduction=Decimal(10))
    add(name="一票否决", kind=IndicatorKind.VETO, source="cases.accountability",
        params={"min_level": "efficiency_warning"}, threshold=Decimal(1),
        cap_grade="fair" if kind == TargetKind.UNIT else "basic")  # fmt: skip
    for username in ("leader", "leader2"):
        scheme.refresh_from_db()
        s.evaluator_set(actor=actor, indicator=evaluated, user=User.objects.get(username=username),
                        version=scheme.version)  # fmt: skip
    scheme.refresh_from_db()
    s.scheme_start_scoring(actor=actor, scheme=scheme, version=scheme.version)
    rng = random.Random(7)
    rows = list(Evaluation.objects.filter(indicator__scheme=scheme))
    for row in rows:
        row.score = Decimal(rng.randint(60, 100))
    Evaluation.objects.bulk_update(rows, ["score"], batch_size=2000)
    return scheme


def bar(done: int, total: int) -> None:
    filled = 30 * done // max(total, 1)
    print(f"\r  [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="", flush=True)


def time_compute(scheme: Scheme, actor: User, out: list[str]) -> float:
    scheme.refresh_from_db()
    if scheme.status != SchemeStatus.SCORING:
        raise SystemExit(f"{scheme.name} is not in scoring")
    t = time.perf_counter()
    run = s.compute_request(actor=actor, scheme=scheme, enqueue=False)
    run = s.compute_run(run=run, on_progress=bar)
    elapsed = time.perf_counter() - t
    print()
    if run.status != RunStatus.DONE:
        raise SystemExit(run.error)
    targets = scheme.targets.count()
    figures = sum(1 for _ in scheme.results.values_list("pk"))
    say(f"{scheme.name}: {targets} targets, {figures} results, computed in {elapsed:.1f} s "
        f"(run {run.pk}, {run.total} steps)", out)  # fmt: skip
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100000, help="cases the database holds")
    parser.add_argument("--year", type=int, default=None, help="assessed year (default: busiest)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/assessment.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    out: list[str] = [f"== {connection.settings_dict['NAME']} cases={args.cases}"]
    ensure_cases(args.cases, out)
    units, staff = ensure_units()
    spread(units, staff, out)
    actor = User.objects.get(username="supervisor")
    group = TargetGroup.objects.filter(name="BENCH 500").first() or s.group_save(
        actor=actor, name="BENCH 500", units=units
    )
    year = args.year or busiest_year()
    say(f"assessed year: {year}", out)
    total = 0.0
    for kind in (TargetKind.UNIT, TargetKind.PERSON):
        scheme = ensure_scheme(kind, year, group, actor)
        total += time_compute(scheme, actor, out)
    say(f"both schemes: {total:.1f} s (target: under 30 s at 1,000,000 cases)", out)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(
        HERE, "results", f"assessment-{connection.settings_dict['NAME']}-{args.cases}.txt"
    )
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
