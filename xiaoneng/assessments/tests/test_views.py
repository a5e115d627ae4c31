"""The assessment screens: who may open and do what (anonymous, other unit, wrong role, right
role; a denied request changes nothing), the indicator editor, the evaluators' page, items
with evidence, the background computation with its progress, the ranking, the score card and
its trace to the cases, appeals and the exports."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from xiaoneng.assessments import services as s
from xiaoneng.assessments.choices import (
    AppealStatus,
    Grade,
    RequestStatus,
    RunStatus,
    SchemeStatus,
)
from xiaoneng.assessments.models import (
    Adjustment,
    Appeal,
    ComputeRun,
    Evaluation,
    Indicator,
    Result,
    Scheme,
)
from xiaoneng.assessments.tests.conftest import compute
from xiaoneng.audit.models import AuditEntry
from xiaoneng.org.choices import Role
from xiaoneng.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def url(name, *args):
    return reverse(f"assessments:{name}", args=args)


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def computed(scored, supervisor):
    scheme, ind = scored
    compute(scheme, supervisor)
    scheme.refresh_from_db()
    return scheme, ind


@pytest.fixture
def published(computed, director):
    scheme, ind = computed
    s.scheme_start_publicity(
        actor=director,
        scheme=scheme,
        publicity_end=timezone.localdate() + timedelta(days=5),
        version=scheme.version,
    )
    scheme.refresh_from_db()
    return scheme, ind


# --- who may open what ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, computed):
    scheme, _ind = computed
    for name, args in (
        ("scheme_list", ()),
        ("scheme_detail", (scheme.pk,)),
        ("results", (scheme.pk,)),
    ):
        response = client.get(url(name, *args))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_administrators_see_no_assessment(client, sysadmin, computed):
    scheme, _ind = computed
    as_user(client, sysadmin)
    assert client.get(url("scheme_list")).status_code == 404
    assert client.get(url("scheme_detail", scheme.pk)).status_code == 404


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "director", "leader"])
def test_the_office_and_the_leaders_read_every_result(client, request, persona, computed):
    scheme, _ind = computed
    as_user(client, request.getfixturevalue(persona))
    assert client.get(url("scheme_detail", scheme.pk)).status_code == 200
    page = client.get(url("results", scheme.pk))
    assert page.status_code == 200
    assert [r["data-target"] for r in _rows(page)] == [
        "区市场监管局",
        "区财政局",
        "区教育局",
        "区民政局",
        "区人社局",
    ]


def _rows(page):
    import re

    html = page.content.decode()
    return [
        dict(re.findall(r'(data-[a-z]+)="([^"]*)"', tag))
        for tag in re.findall(r'<tr data-testid="ranking-row"[^>]*>', html)
    ]


def test_units_read_nothing_before_the_public_notice(client, computed, unit_head_a, unit_a):
    scheme, _ind = computed
    target = scheme.targets.get(unit=unit_a)
    as_user(client, unit_head_a)
    # The unit sees the scheme while scoring (to propose items), but no result.
    page = client.get(url("scheme_detail", scheme.pk))
    assert page.status_code == 200
    assert "card-total" not in page.content.decode()
    assert client.get(url("score_card", scheme.pk, target.pk)).status_code == 404
    assert client.get(url("results", scheme.pk)).status_code == 404


def test_a_unit_reads_its_own_card_and_no_other(
    client, published, unit_head_a, liaison_a, unit_a, unit_b, handler_a
):
    scheme, _ind = published
    own, other = scheme.targets.get(unit=unit_a), scheme.targets.get(unit=unit_b)
    for user in (unit_head_a, liaison_a):
        as_user(client, user)
        page = client.get(url("score_card", scheme.pk, own.pk))
        assert page.status_code == 200
        assert 'data-testid="card-total">79.75<' in page.content.decode()
        assert client.get(url("score_card", scheme.pk, other.pk)).status_code == 404
        assert client.get(url("results", scheme.pk)).status_code == 404
    # A handler is no unit reader: no card of the unit.
    as_user(client, handler_a)
    assert client.get(url("score_card", scheme.pk, own.pk)).status_code == 404


def test_the_menu_offers_assessment_to_business_roles(client, handler_a, sysadmin):
    as_user(client, handler_a)
    assert url("scheme_list") in client.get(reverse("core:home")).content.decode()
    as_user(client, sysadmin)
    assert url("scheme_list") not in client.get(reverse("core:home")).content.decode()


# --- editing a draft -----------------------------------------------------------------------------


@pytest.fixture
def draft(departments, supervisor):
    return s.scheme_create(
        actor=supervisor, name="2026年度区直部门效能考核", group=departments, year=2026
    )


def _indicator_post(scheme, **values):
    data = {
        "name": "按时办结率",
        "kind": "computed",
        "weight": "10",
        "source": "cases.on_time_rate",
        "rule": "tiers",
        "direction": "at_least",
        "tiers": "100 100\n90，80",
        "otherwise": "20",
        "no_data": "full",
        "version": scheme.version,
    }
    data.update(values)
    return data


@pytest.mark.parametrize("persona", ["clerk", "leader", "unit_head_a", "handler_a"])
def test_only_supervisors_and_the_director_edit_schemes(client, request, persona, draft):
    as_user(client, request.getfixturevalue(persona))
    assert client.get(url("indicator_create", draft.pk)).status_code == 404
    response = client.post(url("indicator_create", draft.pk), _indicator_post(draft))
    assert response.status_code == 404
    assert not Indicator.objects.exists()
    assert client.post(url("scheme_start", draft.pk), {"version": 1}).status_code == 404


def test_an_indicator_is_added_with_its_tiers(client, supervisor, draft):
    as_user(client, supervisor)
    response = client.post(url("indicator_create", draft.pk), _indicator_post(draft))
    assert response.status_code == 302
    indicator = Indicator.objects.get()
    assert indicator.rule_params == {
        "direction": "at_least",
        "tiers": [["100", "100"], ["90", "80"]],
        "otherwise": "20",
    }
    page = client.get(url("scheme_detail", draft.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert "Share of the 10 points when the value is at least: 100 → 100%, 90 → 80%" in (
        page.content.decode()
    )


def test_a_bad_indicator_is_explained_and_nothing_saved(client, supervisor, draft):
    as_user(client, supervisor)
    response = client.post(
        url("indicator_create", draft.pk),
        _indicator_post(draft, rule="per_occurrence", per="2", source="cases.closure_rate"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "A deduction per occurrence needs a source that counts occurrences." in (
        response.content.decode()
    )
    response = client.post(
        url("indicator_create", draft.pk),
        _indicator_post(draft, tiers="100"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Write each tier on its own line" in response.content.decode()
    assert not Indicator.objects.exists()


def test_a_stale_form_gets_a_conflict(client, supervisor, director, draft):
    as_user(client, supervisor)
    stale = _indicator_post(draft)
    data = s.IndicatorData(name="政务公开", kind="evaluated", weight=Decimal(10))
    s.indicator_save(actor=director, scheme=draft, version=draft.version, data=data)
    response = client.post(url("indicator_create", draft.pk), stale, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Someone else changed this assessment" in response.content.decode()
    assert list(Indicator.objects.values_list("name", flat=True)) == ["政务公开"]


def test_scoring_cannot_start_before_the_scheme_is_complete(client, supervisor, draft):
    as_user(client, supervisor)
    page = client.get(url("scheme_detail", draft.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert "Add at least one indicator that gives points." in page.content.decode()
    client.post(url("scheme_start", draft.pk), {"version": draft.version})
    draft.refresh_from_db()
    assert draft.status == SchemeStatus.DRAFT


def test_a_scheme_is_copied_from_last_year(client, supervisor, scored):
    scheme, _ind = scored
    as_user(client, supervisor)
    response = client.post(
        url("scheme_copy", scheme.pk),
        {"name": "2026年度区直部门效能考核", "year": 2026, "period_kind": "year"},
    )
    copy = Scheme.objects.get(name="2026年度区直部门效能考核")
    assert response["Location"] == url("scheme_detail", copy.pk)
    assert (copy.status, copy.start, copy.end, copy.copied_from_id) == (
        SchemeStatus.DRAFT,
        date(2026, 1, 1),
        date(2026, 12, 31),
        scheme.pk,
    )
    old = list(scheme.indicators.values_list("name", "kind", "weight", "parent__name"))
    new = list(copy.indicators.values_list("name", "kind", "weight", "parent__name"))
    assert new == old
    assert copy.indicators.get(name="群众满意度").evaluators.count() == 3
    assert not copy.targets.exists()


# --- scoring -------------------------------------------------------------------------------------


def test_an_evaluator_scores_only_their_rows(client, scored, evaluators, supervisor):
    scheme, ind = scored
    first, other = evaluators[0], evaluators[1]
    as_user(client, first)
    mine = Evaluation.objects.filter(evaluator=first, indicator=ind["public"]).order_by("id")
    data = {f"score_{e.pk}": "88" for e in Evaluation.objects.filter(evaluator=first)}
    response = client.post(url("evaluation_edit", scheme.pk), data)
    assert response.status_code == 302
    assert {e.score for e in mine} == {Decimal("88.00")}
    # Out of the range 0–100: refused with the reason, nothing saved.
    bad = {f"score_{e.pk}": "120" for e in Evaluation.objects.filter(evaluator=first)}
    response = client.post(url("evaluation_edit", scheme.pk), bad)
    assert response.status_code == 200
    assert {e.score for e in mine.all()} == {Decimal("88.00")}
    # Someone else's row cannot be written through this page.
    as_user(client, supervisor)
    assert client.get(url("evaluation_edit", scheme.pk)).status_code == 404
    theirs = Evaluation.objects.filter(evaluator=other).first()
    with pytest.raises(s.AssessmentActionDenied):
        s.evaluation_save(actor=first, scheme=scheme, scores={theirs.pk: (Decimal(1), "")})


def test_a_unit_proposes_an_item_with_evidence_and_the_director_decides(
    client, scored, unit_head_a, unit_a, unit_b, director, supervisor
):
    scheme, ind = scored
    own, other = scheme.targets.get(unit=unit_a), scheme.targets.get(unit=unit_b)
    as_user(client, unit_head_a)
    form = {
        "indicator": ind["bonus"].pk,
        "target": own.pk,
        "points": "1.5",
        "reason": "获省级文明窗口称号",
        "files": SimpleUploadedFile("证书.png", png(), content_type="image/png"),
    }
    response = client.post(url("adjustment_create", scheme.pk), form)
    assert response.status_code == 302
    item = Adjustment.objects.get(reason="获省级文明窗口称号")
    assert (item.points, item.status, item.evidence.get().content_type) == (
        Decimal("1.50"),
        RequestStatus.PENDING,
        "image/png",
    )
    # Not for another unit.
    response = client.post(
        url("adjustment_create", scheme.pk), {**form, "target": other.pk, "files": []}
    )
    assert response.status_code == 200
    assert Adjustment.objects.filter(target=other).count() == 0
    # A file that is no accepted type is refused.
    response = client.post(
        url("adjustment_create", scheme.pk),
        {**form, "reason": "另一项", "files": SimpleUploadedFile("x.exe", b"MZ\x90\x00binary")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "cannot be attached" in response.content.decode()
    assert not Adjustment.objects.filter(reason="另一项").exists()
    # The evidence opens for the unit and the office; each download is audited.
    evidence = item.evidence.get()
    assert client.get(url("evidence_download", scheme.pk, evidence.pk)).status_code == 200
    assert AuditEntry.objects.filter(action="assessments.adjustment.evidence").count() == 1
    # Only the director decides.
    as_user(client, supervisor)
    client.post(
        url("adjustment_decide", scheme.pk, item.pk),
        {"decision": "approve", "version": item.version},
    )
    item.refresh_from_db()
    assert item.status == RequestStatus.PENDING
    as_user(client, director)
    client.post(
        url("adjustment_decide", scheme.pk, item.pk),
        {"decision": "approve", "version": item.version},
    )
    item.refresh_from_db()
    assert (item.status, item.decided_by) == (RequestStatus.APPROVED, director)


def test_the_computation_runs_in_the_background_with_its_progress(
    client, scored, supervisor, leader, settings, django_capture_on_commit_callbacks
):
    scheme, _ind = scored
    as_user(client, leader)
    assert client.post(url("compute", scheme.pk)).status_code == 404
    assert not ComputeRun.objects.exists()
    as_user(client, supervisor)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("compute", scheme.pk))
    assert response.status_code == 302
    run = ComputeRun.objects.get()
    assert (run.status, run.done, run.total, run.percent) == (RunStatus.DONE, 9, 9, 100)
    assert Result.objects.filter(scheme=scheme).count() == 5
    fragment = client.get(url("compute_progress", scheme.pk), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'aria-valuenow="100"' in html
    assert 'hx-trigger="every 1s"' not in html  # finished: the polling stops
    assert url("results", scheme.pk) in html


def test_a_queued_computation_is_polled(client, scored, supervisor):
    scheme, _ind = scored
    run = s.compute_request(actor=supervisor, scheme=scheme, enqueue=False)
    ComputeRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, done=3, total=9)
    as_user(client, supervisor)
    html = client.get(url("compute_progress", scheme.pk)).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="33"' in html
    # A second request while it runs is refused.
    with pytest.raises(s.ValidationError):
        s.compute_request(actor=supervisor, scheme=scheme, enqueue=False)


# --- results -------------------------------------------------------------------------------------


def test_the_ranking_page_shows_the_charts_data_with_few_queries(client, computed, leader):
    scheme, _ind = computed
    as_user(client, leader)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url("results", scheme.pk))
    html = page.content.decode()
    assert 'id="ranking-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert [
        (r["data-target"], r["data-rank"], r["data-grade"], r["data-total"]) for r in _rows(page)
    ][:2] == [("区市场监管局", "1", "fair", "95.00"), ("区财政局", "2", "good", "94.00")]
    assert len(queries) <= 14


def test_the_card_traces_each_figure_to_the_cases(
    client, published, unit_head_a, unit_a, district_cases, head_b
):
    scheme, ind = published
    target = scheme.targets.get(unit=unit_a)
    as_user(client, unit_head_a)
    card = client.get(url("score_card", scheme.pk, target.pk), HTTP_ACCEPT_LANGUAGE="en")
    html = card.content.decode()
    assert "Rank 5 of 5" in html
    assert "Value 80 between 50 (no points) and 100 (all points): 6.00 of 10 points." in html
    trace = client.get(url("figure_trace", scheme.pk, target.pk, ind["closure"].pk))
    numbers = [district_cases[k].number for k in ("A1", "A2", "A3", "A4", "A5")]
    body = trace.content.decode()
    assert all(n in body for n in numbers)
    assert body.count('data-testid="trace-row"') == 5
    assert body.count("bi-check-lg text-success") == 4
    # Another unit's head cannot open this trace.
    as_user(client, head_b)
    trace = client.get(url("figure_trace", scheme.pk, target.pk, ind["closure"].pk))
    assert trace.status_code == 404


def test_appeals_during_the_notice_decided_by_the_director(
    client, published, head_b, unit_b, liaison_a, director, supervisor
):
    scheme, ind = published
    target = scheme.targets.get(unit=unit_b)
    # Another unit cannot appeal for B.
    as_user(client, liaison_a)
    assert client.get(url("appeal_create", scheme.pk, target.pk)).status_code == 404
    as_user(client, head_b)
    response = client.post(
        url("appeal_create", scheme.pk, target.pk),
        {"indicator": ind["public"].pk, "reason": "评分偏低"},
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    # The supervisor cannot decide; the director can.
    decision = {
        "decision": "uphold",
        "remedy": "override",
        "new_points": "25.5",
        "note": "复核调整",
        "version": appeal.version,
    }
    as_user(client, supervisor)
    assert client.post(url("appeal_decide", scheme.pk, appeal.pk), decision).status_code == 404
    as_user(client, director)
    client.post(url("appeal_decide", scheme.pk, appeal.pk), decision)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    assert Result.objects.get(target=target).total == Decimal("95.50")


def test_no_appeal_after_the_notice_and_locking_waits_for_its_end(
    client, published, head_b, unit_b, director
):
    scheme, _ind = published
    target = scheme.targets.get(unit=unit_b)
    later = timezone.now() + timedelta(days=6)
    with pytest.raises(s.ValidationError):
        s.appeal_file(actor=head_b, scheme=scheme, target=target, reason="逾期", now=later)
    as_user(client, director)
    client.post(url("finalize", scheme.pk), {"version": scheme.version})
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLICITY
    s.scheme_finalize(actor=director, scheme=scheme, version=scheme.version, now=later)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.FINAL
    entry = AuditEntry.objects.filter(action="assessments.scheme.finalize").get()
    assert entry.data["digest"] == s.results_digest(scheme)


def test_the_exports(client, computed, leader, unit_head_a):
    scheme, _ind = computed
    as_user(client, unit_head_a)
    assert client.get(url("results_xlsx", scheme.pk)).status_code == 404
    as_user(client, leader)
    response = client.get(url("results_xlsx", scheme.pk))
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    with translation.override("zh-hans"):
        headers = [_("Rank"), _("Name"), _("Total"), _("Grade"), _("Veto item triggered")]
        fair, yes = str(Grade.FAIR.label), _("Yes")
    assert [c.value for c in sheet[1]][:6] == [*headers, "效能投诉"]
    assert [c.value for c in sheet[2]][:6] == [1, "区市场监管局", 95, fair, yes, 38]
    response = client.get(url("notice_docx", scheme.pk))
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2025年度区直部门效能考核" in text
    table = document.tables[0]
    assert [c.text for c in table.rows[1].cells] == ["1", "区市场监管局", "95.00", fair]
    assert AuditEntry.objects.filter(action="assessments.scheme.export").count() == 2


def test_a_person_reads_their_own_card(
    client, district_cases, departments, build_scheme, supervisor, director, handler_a, handler_b
):
    scheme, _ind = build_scheme(departments, target_kind="person", name="个人考核")
    s.scheme_start_scoring(actor=supervisor, scheme=scheme, version=scheme.version)
    compute(scheme, supervisor)
    scheme.refresh_from_db()
    s.scheme_start_publicity(
        actor=director, scheme=scheme, version=scheme.version, publicity_end=timezone.localdate()
    )
    own = scheme.targets.get(person=handler_a)
    other = scheme.targets.get(person=handler_b)
    as_user(client, handler_a)
    assert client.get(url("score_card", scheme.pk, own.pk)).status_code == 200
    assert client.get(url("score_card", scheme.pk, other.pk)).status_code == 404
    listing = client.get(url("scheme_list")).content.decode()
    assert url("score_card", scheme.pk, own.pk) in listing


def test_a_new_group_needs_units(client, supervisor, unit_a):
    as_user(client, supervisor)
    response = client.post(url("group_create"), {"name": "镇街"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    response = client.post(
        url("group_create"), {"name": "镇街", "units": [unit_a.pk], "is_active": "on"}
    )
    assert response.status_code == 302


def test_an_evaluator_outside_the_office_sees_the_scheme_while_scoring(client, scored, evaluators):
    scheme, _ind = scored
    outsider = UserFactory(username="eval_x", name="外部评委", roles=[Role.INSPECTOR])
    as_user(client, outsider)
    assert client.get(url("scheme_detail", scheme.pk)).status_code == 404
    Evaluation.objects.create(
        indicator=scheme.indicators.get(name="政务公开"),
        evaluator=outsider,
        target=scheme.targets.first(),
    )
    assert client.get(url("scheme_detail", scheme.pk)).status_code == 200
    assert client.get(url("evaluation_edit", scheme.pk)).status_code == 200
    # Scoring, not proposing items: the list offers no "propose" link that would lead nowhere.
    listing = client.get(reverse("assessments:scheme_list"))
    assert b'data-testid="to-propose"' not in listing.content
    assert client.get(url("adjustment_list", scheme.pk)).status_code == 404


def test_an_assessed_unit_s_liaison_is_offered_to_propose_items(client, scored, liaison_a):
    scheme, _ind = scored
    as_user(client, liaison_a)
    listing = client.get(url("scheme_list")).content.decode()
    assert 'data-testid="to-propose"' in listing
    assert url("adjustment_list", scheme.pk) in listing
    assert client.get(url("adjustment_list", scheme.pk)).status_code == 200
