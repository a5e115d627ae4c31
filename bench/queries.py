"""SQL queries per page, in-process (Django test client, no HTTP): python bench/queries.py

Run from the project root with the benchmark's environment (DATABASE_URL, SECRET_KEY,
ALLOWED_HOSTS including ``testserver``). One request per page as ``supervisor`` (registration
as ``clerk``: the supervisor has no intake-clerk role); prints the status, query count, summed
SQL time, wall time, the slowest statement and the most repeated statement shape. Pages that
answer 404 (not built yet) are reported as absent. ``--explain`` prints EXPLAIN ANALYZE of
the slowest SELECT of every page whose SQL took more than 50 ms.

Query count against page length: the case list is requested with a filter that matches one
case (``?q=<number>``), without filter (a full page of 50) and on page 200; equal counts mean
the page runs a fixed number of queries whatever its length. The same is done for the ledger
if it exists. The registration POST adds one case.
"""

from __future__ import annotations

import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from xiaoneng.cases.models import Case, Category  # noqa: E402
from xiaoneng.org.models import User  # noqa: E402


def shape(sql: str) -> str:
    return re.sub(r"\b\d+\b|'[^']*'", "?", sql)


def measure(name, client, method, url, data=None, explain=False):
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        r = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        wall = time.perf_counter() - t
    qs = ctx.captured_queries
    if r.status_code == 404:
        print(f"queries: {name:16s} absent (404) {url}")
        return r
    sql_ms = 1000 * sum(float(q["time"]) for q in qs)
    line = f"queries: {name:16s} status={r.status_code} queries={len(qs)} sql_ms={sql_ms:.0f} wall_ms={1000 * wall:.0f}"  # noqa: E501
    if qs:
        slow = max(qs, key=lambda q: float(q["time"]))
        shape_, times = collections.Counter(shape(q["sql"]) for q in qs).most_common(1)[0]
        line += (
            f" slowest_ms={1000 * float(slow['time']):.0f} slowest_sql={slow['sql'][:100]!r}"
            f" most_repeated={times}x {shape_[:80]!r}"
        )
        if explain and sql_ms > 50 and slow["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as c:
                c.execute("EXPLAIN (ANALYZE, BUFFERS) " + slow["sql"])
                plan = "\n".join("    " + row[0] for row in c.fetchall())
            line += f"\n  EXPLAIN ANALYZE of the slowest statement of {name}:\n{plan}"
    print(line, flush=True)
    return r


def main() -> None:
    explain = "--explain" in sys.argv
    year = int(os.environ.get("YEAR") or Case.objects.latest("registered_at").year)
    sup = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    sup.force_login(User.objects.get(username="supervisor"))
    clerk = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    clerk.force_login(User.objects.get(username="clerk"))
    cat = Category.objects.get(code="TWCP").id
    ids = Case.objects.order_by("id").values_list("id", flat=True)
    mid = ids[Case.objects.count() // 2]
    one = Case.objects.get(id=mid).number
    pages = [
        ("list", "/cases/"),
        ("list_1row", f"/cases/?q={one}"),
        ("list_3filters", f"/cases/?status=in_progress&channel=phone&category={cat}"),
        ("list_page200", "/cases/?page=200"),
        ("queues", "/cases/queues/"),
        ("case", f"/cases/{mid}/"),
        ("ledger", "/cases/ledger/"),
        ("ledger_1row", f"/cases/ledger/?q={one}"),
        ("ledger_3filters", f"/cases/ledger/?status=in_progress&channel=phone&category={cat}"),
        ("ledger_search", "/cases/ledger/?q=推诿"),
        ("ledger_page200", "/cases/ledger/?page=200"),
        ("statistics", f"/cases/statistics/?year={year}&group_by=unit"),
    ]
    for name, url in pages:
        measure(name, sup, "get", url, explain=explain)
    r = measure("register_get", clerk, "get", "/cases/new/")
    token = re.search(r'name="form_token" value="([^"]+)"', r.content.decode())
    if token:
        data = {
            "form_token": token.group(1), "channel": "phone", "complainant_name": "张三",
            "complainant_phone": "13800138000", "reply_wanted": "on", "reply_method": "phone",
            "category": cat, "urgency": "normal", "summary": "压测登记：窗口推诿",
            "content": "来电人反映到政务服务中心办理业务时窗口工作人员互相推诿。" * 5,
            "place": "政务服务中心",
        }  # fmt: skip
        r = measure("register_post", clerk, "post", "/cases/new/", data=data)
        if r.status_code != 302:
            print("queries: register_post did not redirect: the form was not accepted")


if __name__ == "__main__":
    main()
