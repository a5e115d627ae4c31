"""Fill the database with N realistic cases for the benchmark: python bench/generate_cases.py N

Run from the project root with DATABASE_URL set (PostgreSQL; the COPY path needs psycopg 3).
The demo district must be loaded first (``manage.py demo_load``): its units, accounts and
categories are used. What is generated, over the last three years (registration times spread
evenly, slightly more in recent months):

* cases in every state, with the state depending on the case's age (young cases are still in
  the pipeline, old ones mostly closed, ~7 % not accepted, ~2 % merged, a tail still open and
  overdue); register numbers XN-<year>-<seq> continue the CaseSequence of each year, which is
  updated at the end;
* one complainant per case (fake names and phones, 15 % anonymous), stored as the model stores
  them: encrypted with the configured data key, the phone's blind index beside it;
* assignments (transfer, supervised: one unit; joint: a lead and 1-2 co-units; investigate:
  none), a handler from the unit once signed for;
* deadlines: acceptance per case, signing and handling per assignment (completed when the step
  was done; still-open ones past their due date are the overdue share). Due dates are
  approximated in calendar days (working days x 1.4), not through the workday calendar;
* the timeline (CaseEvent: registered, accepted/not_accepted, dispatched, supervised, signed,
  replied, concluded, review_passed, callback, closed, merged), ~6-8 per case;
* audit rows: ONE per case (``cases.case.register``), hash-chained after the current head with
  ``xiaoneng.audit.chain.entry_hash`` and the AuditHead row updated. The real services write
  one audit row per step (~6 per case); one per case keeps the generator inside its time budget.
  Their ``time`` is the case's registration time, so times are not monotonic in ``position``
  relative to rows written before the generator ran.

Rows go in with COPY (text format) in batches of --batch cases, one transaction per batch,
constraints and indexes kept. ``Case.search_text`` (if the column exists) is filled with exactly
what ``xiaoneng.cases.search.case_search_text`` gives, jieba's segmentation of the few text
pieces being cached, so that the ledger's text search finds generated cases. Other columns the
generator does not know get the field's default, or an empty string. Ends with VACUUM ANALYZE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, models  # noqa: E402

from xiaoneng.audit.chain import entry_hash, format_time  # noqa: E402
from xiaoneng.audit.models import AuditEntry, AuditHead  # noqa: E402
from xiaoneng.cases.models import (  # noqa: E402
    Assignment,
    Case,
    CaseEvent,
    CaseSequence,
    Category,
    Complainant,
    Deadline,
)
from xiaoneng.org.models import Unit, User  # noqa: E402

UTC = dt.UTC
NOW = dt.datetime.now(UTC).replace(microsecond=0)
START = NOW - dt.timedelta(days=3 * 365)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅春林海波宇浩然子涵欣怡雨婷俊杰晓燕文博佳琪思远"  # noqa: E501
PLACES = ["政务服务中心", "不动产登记窗口", "社保经办大厅", "街道便民服务中心", "派出所户籍窗口",
          "医保服务窗口", "城管执法中队", "市场监管所", "税务服务厅", "住建局审批科"]  # fmt: skip
PROBLEMS = {
    "TWCP": "推诿扯皮，多个部门互相推脱，至今无人负责",
    "MNJ": "门难进，窗口长期无人值守，电话也无人接听",
    "LNK": "工作人员态度冷漠，脸难看、话难听",
    "SNB": "事难办，材料反复补交，一次告知没有落实",
    "CNKY": "办事人员暗示送礼，存在吃拿卡要问题",
    "BZW": "反映的问题多次催办仍不作为",
    "MZW": "审批超过承诺时限仍未办结，慢作为",
    "LZW": "执法过程中存在乱作为、乱罚款现象",
    "WGSF": "办理业务时被收取没有依据的费用",
    "ZWGK": "办事指南与实际要求不一致，政务公开不到位",
    "FWTD": "服务态度差，对群众咨询敷衍了事",
    "QT": "其他影响营商环境和办事效率的问题",
}
CHANNELS = (["phone"] * 45 + ["web"] * 20 + ["visit"] * 10 + ["letter"] * 8 + ["api"] * 7
            + ["media"] * 4 + ["finding"] * 4 + ["referral"] * 2)  # fmt: skip
URGENCY = ["normal"] * 90 + ["urgent"] * 8 + ["very_urgent"] * 2
MODES = ["transfer"] * 75 + ["joint"] * 10 + ["supervised"] * 10 + ["investigate"] * 5
FINDINGS = ["substantiated"] * 35 + ["partly"] * 25 + ["unsubstantiated"] * 40
SATISFACTION = ["satisfied"] * 70 + ["basically"] * 18 + ["dissatisfied"] * 8 + ["unreachable"] * 4
SOLVED = ["solved"] * 75 + ["partly"] * 17 + ["unsolved"] * 8

# State by age (days since registration): (upper age bound, [(status, weight), …]).
STATE_BY_AGE = [
    (2, [("registered", 60), ("accepted", 18), ("not_accepted", 5), ("dispatched", 17)]),
    (30, [("registered", 3), ("accepted", 3), ("dispatched", 10), ("in_progress", 45),
          ("replied", 12), ("callback", 10), ("close_pending", 2), ("closed", 10),
          ("not_accepted", 4), ("merged", 1)]),
    (90, [("in_progress", 8), ("replied", 4), ("callback", 4), ("close_pending", 2),
          ("closed", 73), ("not_accepted", 7), ("merged", 2)]),
    (10**6, [("in_progress", 0.3), ("replied", 0.1), ("callback", 0.05), ("close_pending", 0.05),
             ("closed", 90.5), ("not_accepted", 7), ("merged", 2)]),
]  # fmt: skip
STEP = {  # how far along the lifecycle each state is
    "registered": 0, "not_accepted": 1, "merged": 1, "accepted": 1, "dispatched": 2,
    "in_progress": 3, "replied": 4, "callback": 5, "close_pending": 6, "closed": 7,
}  # fmt: skip
ASSIGN_STATUS = {3: "in_progress", 4: "replied", 5: "concluded", 6: "concluded", 7: "concluded"}


def pick_state(rng: random.Random, age_days: float) -> str:
    for bound, table in STATE_BY_AGE:
        if age_days < bound:
            return rng.choices([s for s, _ in table], [w for _, w in table])[0]
    raise AssertionError


def ts(value: dt.datetime | None) -> str:
    return "\\N" if value is None else value.isoformat()


_NAME = Complainant._meta.get_field("name")
_PHONE = Complainant._meta.get_field("phone")
_PHONE_INDEX = Complainant._meta.get_field("phone_index")


def complainant_columns(name: str, phone: str) -> tuple[str, str, str]:
    """The name and phone as stored (encrypted; base64, so COPY-safe) and the phone's blind
    index, exactly as ``Complainant.save()`` writes them."""
    return _NAME.get_prep_value(name), _PHONE.get_prep_value(phone), _PHONE_INDEX.compute(phone)


def js(value) -> str:
    # Generated text holds no tab, newline or backslash, so COPY text needs no escaping.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Table:
    """COPY writer for one model: the generator's columns first, the rest from defaults."""

    def __init__(self, model, columns: list[str]):
        self.model = model
        self.table = model._meta.db_table
        with connection.cursor() as c:  # the model may be ahead of the migrations
            db_columns = {col.name for col in connection.introspection.get_table_description(
                c, self.table)}  # fmt: skip
        fields = {f.column: f for f in model._meta.concrete_fields if f.column in db_columns}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise SystemExit(f"{self.table}: no column {unknown}")
        self.columns = list(columns)
        rest = []
        for column, field in fields.items():
            if column in columns or isinstance(field, models.AutoField | models.BigAutoField):
                continue
            default = field.get_default()
            if default is None and not field.null:
                default = ""
            if isinstance(default, dict | list):
                default = js(default)
            elif isinstance(default, bool):
                default = "t" if default else "f"
            elif default is None:
                default = "\\N"
            self.columns.append(column)
            rest.append(str(default))
        self.suffix = ("\t" + "\t".join(rest)) if rest else ""
        self.lines: list[str] = []

    def add(self, *values) -> None:
        self.lines.append("\t".join(values) + self.suffix)

    def take(self) -> tuple[str, str, list[str]]:
        """The batch's rows, handed to the COPY thread; the writer starts a new batch."""
        cols = ", ".join(f'"{c}"' for c in self.columns)
        lines, self.lines = self.lines, []
        return self.table, f'COPY "{self.table}" ({cols}) FROM STDIN', lines


def copy_worker(raw, jobs: queue.Queue, counts: dict, stats: dict) -> None:
    """COPY each batch in its own transaction while the main thread builds the next one (the
    GIL is released while psycopg waits for the server, so Python and PostgreSQL overlap)."""
    try:
        while (batch := jobs.get()) is not None:
            t = time.perf_counter()
            with raw.transaction(), raw.cursor() as cur:
                for table, statement, lines in batch:
                    if lines:
                        with cur.copy(statement) as copy:
                            copy.write(("\n".join(lines) + "\n").encode())
                    counts[table] += len(lines)
            stats["copy_s"] += time.perf_counter() - t
            stats["done"] = time.perf_counter()
    except BaseException as exc:  # reported by the main thread
        stats["error"] = exc
        while jobs.get() is not None:  # let the producer finish
            pass


def next_id(model) -> int:
    with connection.cursor() as c:
        c.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{model._meta.db_table}"')
        return c.fetchone()[0] + 1


def reset_sequence(cursor, model) -> None:
    t = model._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
        f'(SELECT COALESCE(MAX(id), 1) FROM "{t}"))'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of cases to add")
    parser.add_argument("--batch", type=int, default=20000, help="cases per transaction")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("generate_cases.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    rng = random.Random(args.seed)

    # The demo district: units that handle cases, their staff, the office, categories.
    units = list(Unit.objects.filter(kind__in=["department", "town", "subdistrict"],
                                     is_active=True).values_list("id", "name"))  # fmt: skip
    if not units:
        raise SystemExit("No units: run `manage.py demo_load` first.")
    unit_w = [1.0 / (i + 1) ** 0.8 for i in range(len(units))]  # a few units get most cases
    unit_name = dict(units)
    staff: dict[int, list[tuple[int, str]]] = {}
    for uid, name, unit_id, parent_id in User.objects.filter(is_active=True).values_list(
        "id", "name", "unit_id", "unit__parent_id"
    ):
        for u in (unit_id, parent_id):
            if u in unit_name:
                staff.setdefault(u, []).append((uid, name))
    office_users = {
        u.username: (u.id, u.name, u.unit_id)
        for u in User.objects.filter(username__in=["clerk", "clerk2", "supervisor", "director"])
    }
    if len(office_users) < 4:
        raise SystemExit("Demo accounts clerk/clerk2/supervisor/director missing: demo_load.")
    clerks = [office_users["clerk"], office_users["clerk2"]]
    sup, director = office_users["supervisor"], office_users["director"]
    cats = list(Category.objects.filter(parent__isnull=True).values_list("id", "code", "name"))
    cat_w = [1.0 / (i + 1) ** 0.6 for i in range(len(cats))]

    case_t = Table(Case, ["id", "number", "year", "seq", "channel", "status", "category_id",
        "urgency", "summary", "content", "place", "occurred_on", "reply_wanted", "reply_method",
        "registered_by_id", "registered_at", "accepted_at", "not_accepted_reason",
        "dispatch_mode", "dispatched_at", "is_major", "finding", "measures", "reply_text",
        "concluded_at", "reviewed_at", "satisfaction", "solved", "callback_at", "closed_at",
        "close_explanation", "merged_into_id", "return_count", "redo_count", "is_supervised",
        "version"])  # fmt: skip
    has_search = "search_text" in case_t.columns
    if has_search:
        case_t = Table(Case, [*case_t.columns[: case_t.columns.index("version") + 1],
                              "search_text"])  # fmt: skip
        from functools import lru_cache

        from xiaoneng.cases.search import case_search_text, segment

        seg = lru_cache(maxsize=100000)(segment)
        # The cached composition must give exactly what case_search_text() gives: check it on
        # a sample, allowing for a prefix (e.g. a leading space); else call it for every case.
        sample = {"number": "XN-2026-000123", "summary": "反映政务服务中心推诿扯皮问题",
                  "content": "来电人反映：3月5日到政务服务中心办理业务，推诿扯皮。",
                  "place": "政务服务中心"}  # fmt: skip
        head, tail = "来电人反映：3月5日到", "政务服务中心办理业务，推诿扯皮。"
        mine = " ".join(["xn 2026 000123", seg(sample["summary"]), seg(head), seg(tail),
                         seg(sample["place"])])  # fmt: skip
        real = case_search_text(**sample)
        search_exact = real[: -len(mine)] if real.endswith(mine) else None
        if search_exact is None:
            print("search_text: cached composition differs, calling case_search_text per case")
    comp_t = Table(Complainant, ["case_id", "anonymous", "name", "phone", "phone_index"])
    asg_t = Table(Assignment, ["id", "case_id", "unit_id", "role", "status", "handler_id",
        "dispatched_at", "signed_at", "finding", "replied_at"])  # fmt: skip
    dl_t = Table(Deadline, ["case_id", "assignment_id", "stage", "started_at", "due_at",
        "amount", "unit", "completed_at"])  # fmt: skip
    ev_t = Table(CaseEvent, ["case_id", "assignment_id", "code", "actor_id", "actor_name",
        "actor_unit_id", "created_at", "data", "public"])  # fmt: skip
    au_t = Table(AuditEntry, ["position", "time", "actor_id", "actor_name", "unit_id",
        "unit_name", "action", "object_type", "object_id", "object_repr", "success", "ip",
        "request_id", "data", "prev_hash", "hash"])  # fmt: skip
    tables = [case_t, comp_t, asg_t, dl_t, ev_t, au_t]
    unit_names = dict(Unit.objects.values_list("id", "name"))

    # Registration times, sorted so that register numbers follow time within a year.
    span = (NOW - START).total_seconds()
    offsets = sorted(span * (rng.random() ** 0.85) for _ in range(args.n))  # more recent cases
    seqs = dict(CaseSequence.objects.values_list("year", "last"))
    case_id, asg_id = next_id(Case), next_id(Assignment)
    first_case_id = case_id
    AuditHead.objects.get_or_create(id=1)
    head = AuditHead.objects.get(id=1)
    position, prev = head.position, head.hash

    counts = dict.fromkeys([t.table for t in tables], 0)
    t0 = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    jobs: queue.Queue = queue.Queue(maxsize=2)
    stats = {"copy_s": 0.0}
    worker = threading.Thread(target=copy_worker, args=(raw, jobs, counts, stats), daemon=True)
    worker.start()
    for start in range(0, args.n, args.batch):
        for off in offsets[start : start + args.batch]:
            reg = START + dt.timedelta(seconds=off)
            reg = reg.replace(microsecond=rng.randrange(1000000))
            age = (NOW - reg).total_seconds() / 86400
            state = pick_state(rng, age)
            step = STEP[state]
            year = reg.astimezone(dt.timezone(dt.timedelta(hours=8))).year
            seq = seqs.get(year, 0) + 1
            seqs[year] = seq
            number = f"XN-{year}-{seq:06d}"
            cid, ccode, cname = rng.choices(cats, cat_w)[0]
            channel = rng.choice(CHANNELS)
            urgency = rng.choice(URGENCY)
            clerk = rng.choice(clerks)
            place = rng.choice(PLACES)
            uid, uname = rng.choices(units, unit_w)[0]
            summary = f"反映{uname}{place}{cname}问题"
            head = f"来电人反映：{rng.randint(1, 12)}月{rng.randint(1, 28)}日到"
            tail = f"{uname}{place}办理业务，{PROBLEMS.get(ccode, PROBLEMS['QT'])}，希望尽快调查处理并答复。"  # noqa: E501
            content = head + tail
            # Timeline of this case, scaled so that the last step is not in the future.
            room = max((NOW - reg).total_seconds() - 60, 60.0)
            gaps = [rng.uniform(0.5, 30) * 3600, rng.uniform(2, 48) * 3600,
                    rng.uniform(2, 72) * 3600, rng.uniform(3, 35) * 86400,
                    rng.uniform(1, 5) * 86400, rng.uniform(1, 7) * 86400,
                    rng.uniform(0.5, 5) * 86400]  # fmt: skip
            need = sum(gaps[:step]) or 1.0
            scale = min(1.0, room / need)
            when = [reg]
            for g in gaps:
                when.append(when[-1] + dt.timedelta(seconds=g * scale))
            accepted_at = when[1] if step >= 1 else None
            mode = rng.choice(MODES) if step >= 2 else ""
            dispatched_at = when[2] if step >= 2 else None
            finding = rng.choice(FINDINGS) if step >= 5 else ""
            sat = rng.choice(SATISFACTION) if step >= 6 else ""
            solved = rng.choice(SOLVED) if step >= 6 and sat != "unreachable" else ""
            merged_into = ""
            if state == "merged":
                merged_into = (
                    str(rng.randint(max(first_case_id, case_id - 200), case_id - 1))
                    if case_id > first_case_id
                    else ""
                )
                if not merged_into:
                    state, step = "not_accepted", 1
            major = rng.random() < 0.005 and step >= 2
            ret = 1 if rng.random() < 0.04 and step >= 3 else 0
            redo = 1 if rng.random() < 0.02 and step >= 6 else 0
            extra = ()
            if has_search:  # what case_search_text() gives, with jieba's work cached
                pieces = [f"xn {year} {seq:06d}", seg(summary), seg(head), seg(tail), seg(place)]
                text = " ".join(filter(None, pieces))
                if search_exact is None:  # the composition no longer matches: call it
                    text = case_search_text(
                        number=number, summary=summary, content=content, place=place
                    )
                else:
                    text = search_exact + text
                extra = (text,)
            case_t.add(
                str(case_id),
                number,
                str(year),
                str(seq),
                channel,
                state,
                str(cid),
                urgency,
                summary,
                content,
                place,
                (reg - DAY * rng.randint(0, 20)).date().isoformat(),
                "t",
                "phone",
                str(clerk[0]),
                ts(reg),
                ts(accepted_at),
                "不属于效能投诉受理范围，已告知向有关部门反映" if state == "not_accepted" else "",
                mode,
                ts(dispatched_at),
                "t" if major else "f",
                finding,
                "已约谈相关责任人并督促整改" if step >= 5 else "",
                "经调查核实，已责成相关单位整改并向您说明情况" if step >= 4 else "",
                ts(when[4] if step >= 5 else None),
                ts(when[5] if step >= 5 else None),
                sat,
                solved,
                ts(when[6] if step >= 6 else None),
                ts(when[7] if step >= 7 else None),
                "已办结，群众认可" if step >= 7 else "",
                merged_into or "\\N",
                str(ret),
                str(redo),
                "t" if mode == "supervised" else "f",
                str(1 + step),
                *extra,
            )
            anonymous = rng.random() < 0.15
            comp_t.add(
                str(case_id), "t" if anonymous else "f",
                *complainant_columns(
                    "" if anonymous else rng.choice(SURNAMES) + rng.choice(GIVEN)
                    + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
                    "" if anonymous else f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                ),
            )  # fmt: skip
            # Acceptance deadline.
            dl_t.add(str(case_id), "\\N", "acceptance", ts(reg), ts(reg + 4 * DAY), "3",
                     "working_days", ts(accepted_at))  # fmt: skip
            ev = ev_t.add
            ev(str(case_id), "\\N", "case.registered", str(clerk[0]), clerk[1], str(clerk[2]),
               ts(reg), js({"channel": channel}), "t")  # fmt: skip
            if state == "not_accepted":
                ev(str(case_id), "\\N", "case.not_accepted", str(clerk[0]), clerk[1],
                   str(clerk[2]), ts(accepted_at), "{}", "t")  # fmt: skip
            elif state == "merged":
                ev(str(case_id), "\\N", "case.merged", str(sup[0]), sup[1], str(sup[2]),
                   ts(accepted_at), js({"into": merged_into}), "f")  # fmt: skip
            elif step >= 1:
                ev(str(case_id), "\\N", "case.accepted", str(clerk[0]), clerk[1], str(clerk[2]),
                   ts(accepted_at), "{}", "t")  # fmt: skip
            if step >= 2:
                asg = []
                if mode != "investigate":
                    asg.append((uid, "sole" if mode != "joint" else "lead"))
                    if mode == "joint":
                        for co in rng.sample(units, rng.randint(1, 2)):
                            if co[0] != uid:
                                asg.append((co[0], "co"))
                ev(str(case_id), "\\N", "case.dispatched", str(sup[0]), sup[1], str(sup[2]),
                   ts(dispatched_at), js({"lead": uname if asg else "", "mode": mode,
                   "co_units": [unit_names[a] for a, r in asg if r == "co"]}), "t")  # fmt: skip
                if mode == "supervised":
                    ev(str(case_id), "\\N", "case.supervised", str(sup[0]), sup[1],
                       str(sup[2]), ts(dispatched_at + HOUR),
                       js({"due": ts(dispatched_at + 14 * DAY), "level": "key"}), "f")  # fmt: skip
                for a_unit, role in asg:
                    people = staff.get(a_unit) or [(None, "")]
                    handler = rng.choice(people)
                    signed = when[3] - dt.timedelta(seconds=(when[3] - when[2]).total_seconds()
                                                    * 0.7) if step >= 3 else None  # fmt: skip
                    st = ASSIGN_STATUS.get(step, "pending_sign")
                    if role == "co" and step == 3 and rng.random() < 0.3:
                        st, signed = "pending_sign", None
                    asg_t.add(str(asg_id), str(case_id), str(a_unit), role, st,
                              str(handler[0]) if signed and handler[0] else "\\N",
                              ts(dispatched_at), ts(signed), finding if step >= 5 else "",
                              ts(when[4] if step >= 4 else None))  # fmt: skip
                    days = rng.choice([15, 30, 30, 30, 60])
                    dl_t.add(str(case_id), str(asg_id), "signing", ts(dispatched_at),
                             ts(dispatched_at + 2 * DAY), "1", "working_days",
                             ts(signed))  # fmt: skip
                    dl_t.add(str(case_id), str(asg_id), "handling", ts(dispatched_at),
                             ts(dispatched_at + DAY * round(days * 1.4)), str(days),
                             "working_days", ts(when[4] if step >= 4 else None))  # fmt: skip
                    if signed:
                        ev(str(case_id), str(asg_id), "case.signed", str(handler[0] or "\\N"),
                           handler[1], str(a_unit), ts(signed),
                           js({"unit": unit_names[a_unit]}), "t")  # fmt: skip
                    if step >= 4:
                        ev(str(case_id), str(asg_id), "case.replied", str(handler[0] or "\\N"),
                           handler[1], str(a_unit), ts(when[4]),
                           js({"unit": unit_names[a_unit]}), "f")  # fmt: skip
                    asg_id += 1
            if step >= 5:
                ev(str(case_id), "\\N", "case.concluded", str(sup[0]), sup[1], str(sup[2]),
                   ts(when[4] + HOUR), "{}", "t")  # fmt: skip
                ev(str(case_id), "\\N", "case.review_passed", str(sup[0]), sup[1], str(sup[2]),
                   ts(when[5]), "{}", "t")  # fmt: skip
            if step >= 6:
                ev(str(case_id), "\\N", "case.callback", str(clerk[0]), clerk[1], str(clerk[2]),
                   ts(when[6]), js({"solved": solved, "satisfaction": sat}), "t")  # fmt: skip
            if step >= 7:
                ev(str(case_id), "\\N", "case.closed", str(director[0]), director[1],
                   str(director[2]), ts(when[7]), "{}", "t")  # fmt: skip
            # One audit row per case: the registration, chained after the current head.
            position += 1
            values = {
                "position": position, "time": reg, "actor_id": clerk[0],
                "actor_name": clerk[1], "unit_id": clerk[2],
                "unit_name": unit_names.get(clerk[2], ""), "action": "cases.case.register",
                "object_type": "cases.case", "object_id": str(case_id),
                "object_repr": number, "success": True, "ip": None, "request_id": "",
                "data": {"number": number}, "prev_hash": prev,
            }  # fmt: skip
            h = entry_hash(values)
            au_t.add(str(position), format_time(reg), str(clerk[0]), clerk[1], str(clerk[2]),
                     values["unit_name"], "cases.case.register", "cases.case", str(case_id),
                     number, "t", "\\N", "", js(values["data"]), prev, h)  # fmt: skip
            prev = h
            case_id += 1
        jobs.put([t.take() for t in tables])
        if "error" in stats:
            break
        done = min(start + args.batch, args.n)
        el = time.perf_counter() - t0
        rows = sum(counts.values())
        print(f"  {done:>9} cases generated, {rows:>10} rows copied  {el:7.1f} s"
              f"  {rows / el:8.0f} rows/s  (COPY busy {stats['copy_s']:.0f} s)",
              flush=True)  # fmt: skip
    jobs.put(None)
    worker.join()
    if "error" in stats:
        raise stats["error"]

    with raw.transaction(), raw.cursor() as cur:
        for model in (Case, Assignment, Deadline, CaseEvent, Complainant, AuditEntry):
            reset_sequence(cur, model)
        cur.execute("UPDATE audit_audithead SET position = %s, hash = %s WHERE id = 1",
                    (position, prev))  # fmt: skip
        for year, last in seqs.items():
            cur.execute(
                "INSERT INTO cases_casesequence (year, last) VALUES (%s, %s) "
                "ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last",
                (year, last),
            )
    insert_s = time.perf_counter() - t0
    rows = sum(counts.values())
    print("rows: " + ", ".join(f"{t}={n}" for t, n in counts.items()))
    print(f"generated {args.n} cases, {rows} rows in {insert_s:.1f} s: "
          f"{args.n / insert_s:.0f} cases/s, {rows / insert_s:.0f} rows/s")  # fmt: skip
    t1 = time.perf_counter()
    raw.autocommit = True
    with raw.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE {time.perf_counter() - t1:.1f} s", flush=True)
    t2 = time.perf_counter()
    from xiaoneng.cases.figures import figures_rebuild

    figures_rebuild()  # the statistics' pre-aggregated sums, as the services keep them
    print(f"statistics' sums rebuilt in {time.perf_counter() - t2:.1f} s; "
          f"total {time.perf_counter() - t0:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
