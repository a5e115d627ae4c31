"""The assessment screens. Thin: find the scheme through the reader's scope (404 outside it),
check the role (404 without it), parse the form, call the service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.assessments import exports
from xiaoneng.assessments import forms as f
from xiaoneng.assessments import selectors as sel
from xiaoneng.assessments import services as s
from xiaoneng.assessments.choices import (
    GRADES,
    AppealStatus,
    Grade,
    IndicatorKind,
    RunStatus,
    SchemeStatus,
)
from xiaoneng.assessments.indicators.registry import get_source
from xiaoneng.assessments.models import AdjustmentEvidence, Evaluator
from xiaoneng.core.forms import apply_service_error
from xiaoneng.org.choices import ADMIN_ROLES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STEPS = (
    ("draft", SchemeStatus.DRAFT.label),
    ("scoring", SchemeStatus.SCORING.label),
    ("publicity", SchemeStatus.PUBLICITY.label),
    ("final", SchemeStatus.FINAL.label),
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _fail(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _to_detail(pk: int):
    return redirect("assessments:scheme_detail", pk=pk)


# --- lists and groups ----------------------------------------------------------------------------


@login_required
@require_GET
def scheme_list(request):
    user = request.user
    readers = sel.can_read_all(user)
    _require(bool(user.roles - ADMIN_ROLES))
    return render(
        request,
        "assessments/scheme_list.html",
        {
            "schemes": sel.scheme_list(user=user).order_by("-year", "-period_no", "name")
            if readers
            else [],
            "can_manage": sel.can_manage(user),
            "cards": [] if readers else sel.my_cards(user=user),
            "to_score": sel.my_evaluation_schemes(user=user),
            "to_propose": [] if readers else sel.schemes_to_propose(user=user),
        },
    )


@login_required
@require_GET
def group_list(request):
    _require(sel.can_manage(request.user))
    return render(request, "assessments/group_list.html", {"groups": sel.group_list()})


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk=None):
    _require(sel.can_manage(request.user))
    group = sel.group_get(pk=pk) if pk else None
    initial = {"is_active": True}
    if group is not None:
        initial = {
            "name": group.name,
            "units": list(group.units.all()),
            "is_active": group.is_active,
            "version": group.version,
        }
    form = f.GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            s.group_save(
                actor=request.user,
                group=group,
                name=d["name"],
                units=d["units"],
                is_active=d["is_active"],
                version=d.get("version"),
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The group is saved."))
            return redirect("assessments:group_list")
    return render(request, "assessments/group_form.html", {"form": form, "group": group})


# --- schemes -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def scheme_create(request):
    _require(sel.can_manage(request.user))
    year = timezone.localdate().year
    form = f.SchemeForm(request.POST or None, initial={"year": year, "period_kind": "year"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if d.get("copy_from"):
                scheme = s.scheme_copy(
                    actor=request.user,
                    source=d["copy_from"],
                    name=d["name"],
                    year=d["year"],
                    period_kind=d["period_kind"],
                    period_no=d["period_no"],
                )
            else:
                scheme = s.scheme_create(
                    actor=request.user,
                    name=d["name"],
                    group=d["group"],
                    year=d["year"],
                    period_kind=d["period_kind"],
                    period_no=d["period_no"],
                    target_kind=d["target_kind"],
                    description=d["description"],
                )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The scheme is created. Add its indicators."))
            return _to_detail(scheme.pk)
    return render(request, "assessments/scheme_form.html", {"form": form, "scheme": None})


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request, pk):
    scheme = sel.scheme_for_manager(user=request.user, pk=pk)
    initial = {
        "name": scheme.name,
        "group": scheme.group,
        "year": scheme.year,
        "period_kind": scheme.period_kind,
        "period_no": scheme.period_no,
        "description": scheme.description,
        "version": scheme.version,
    }
    form = f.SchemeForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            s.scheme_update(
                actor=request.user,
                scheme=scheme,
                name=d["name"],
                group=d["group"],
                year=d["year"],
                period_kind=d["period_kind"],
                period_no=d["period_no"],
                description=d["description"],
                version=d.get("version"),
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The scheme is saved."))
            return _to_detail(scheme.pk)
    return render(request, "assessments/scheme_form.html", {"form": form, "scheme": scheme})


@login_required
@require_http_methods(["GET", "POST"])
def scheme_copy(request, pk):
    source = sel.scheme_for_manager(user=request.user, pk=pk)
    year = source.year + 1
    initial = {
        "name": source.name.replace(str(source.year), str(year)),
        "year": year,
        "period_kind": source.period_kind,
        "period_no": source.period_no,
    }
    form = f.CopyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            copy = s.scheme_copy(
                actor=request.user,
                source=source,
                name=d["name"],
                year=d["year"],
                period_kind=d["period_kind"],
                period_no=d["period_no"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The scheme is copied as a new draft."))
            return _to_detail(copy.pk)
    return render(request, "assessments/scheme_copy.html", {"form": form, "scheme": source})


def _steps(scheme) -> list[dict]:
    current = [code for code, _label in STEPS].index(scheme.status)
    return [
        {"code": code, "label": label, "done": i < current, "current": i == current}
        for i, (code, label) in enumerate(STEPS)
    ]


@login_required
@require_GET
def scheme_detail(request, pk):
    user = request.user
    scheme = sel.scheme_get(user=user, pk=pk)
    manager, reader = sel.can_manage(user), sel.can_read_all(user)
    context = {
        "scheme": scheme,
        "steps": _steps(scheme),
        "manager": manager,
        "director": sel.can_decide(user),
        "reader": reader,
        "nodes": sel.indicator_tree(scheme=scheme),
        "grades": scheme.grade_rules.order_by("order"),
        "full_marks": sel.full_marks(scheme=scheme),
        "evaluators": _evaluators_by_indicator(scheme),
        "cards": sel.targets_for(user=user, scheme=scheme).select_related("result")
        if not reader
        else None,
        "my_evaluations": sel.evaluations_for(user=user, scheme=scheme).exists(),
        "can_propose": scheme.status == SchemeStatus.SCORING
        and sel.targets_to_propose_for(user=user, scheme=scheme).exists(),
        "can_appeal": scheme.status == SchemeStatus.PUBLICITY
        and sel.targets_to_appeal_for(user=user, scheme=scheme).exists(),
    }
    if reader:
        context.update(
            run=sel.latest_run(scheme=scheme),
            has_results=scheme.results.exists(),
            stale=scheme.status == SchemeStatus.SCORING and sel.results_stale(scheme=scheme),
            progress=sel.evaluation_progress(scheme=scheme),
            pending_items=sel.pending_adjustments(scheme=scheme),
            pending_appeals=sel.pending_appeals(scheme=scheme),
            targets=scheme.targets.count(),
            problems=s.scheme_readiness(scheme=scheme)
            if manager and scheme.status == SchemeStatus.DRAFT
            else [],
            version_form=f.VersionForm(initial={"version": scheme.version}),
            publicity_form=f.PublicityForm(initial={"version": scheme.version}),
        )
    return render(request, "assessments/scheme_detail.html", context)


def _evaluators_by_indicator(scheme) -> dict[int, list]:
    result: dict[int, list] = {}
    for evaluator in (
        Evaluator.objects.filter(indicator__scheme=scheme)
        .select_related("user", "user__unit")
        .prefetch_related("units")
        .order_by("id")
    ):
        result.setdefault(evaluator.indicator_id, []).append(evaluator)
    return result


@login_required
@require_http_methods(["GET", "POST"])
def grades_edit(request, pk):
    scheme = sel.scheme_for_manager(user=request.user, pk=pk)
    initial = {"version": scheme.version}
    for rule in scheme.grade_rules.all():
        initial[f"min_{rule.grade}"] = rule.min_score
        initial[f"quota_{rule.grade}"] = rule.quota
    form = f.GradesForm(request.POST or None, initial=initial, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        try:
            s.grades_save(
                actor=request.user,
                scheme=scheme,
                rows=form.rows(),
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The grades are saved."))
            return _to_detail(scheme.pk)
    return render(request, "assessments/grades_form.html", {"form": form, "scheme": scheme})


# --- indicators ----------------------------------------------------------------------------------


def _indicator(scheme, ind):
    try:
        return scheme.indicators.get(pk=ind)
    except (scheme.indicators.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request, pk, ind=None):
    scheme = sel.scheme_for_manager(user=request.user, pk=pk)
    indicator = _indicator(scheme, ind) if ind else None
    if scheme.status != SchemeStatus.DRAFT:
        messages.error(request, _("The indicators are locked once scoring has started."))
        return _to_detail(scheme.pk)
    if indicator is not None:
        initial = f.IndicatorForm.initial_for(indicator, scheme.version)
    else:
        initial = {"version": scheme.version, "kind": request.GET.get("kind") or "computed"}
        if request.GET.get("parent"):
            initial["parent"] = request.GET["parent"]
    form = f.IndicatorForm(
        request.POST or None, initial=initial, scheme=scheme, indicator=indicator
    )
    if request.method == "POST" and form.is_valid():
        try:
            s.indicator_save(
                actor=request.user,
                scheme=scheme,
                indicator=indicator,
                data=form.data_for_service(),
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The indicator is saved."))
            return _to_detail(scheme.pk)
    return render(
        request,
        "assessments/indicator_form.html",
        {
            "form": form,
            "scheme": scheme,
            "indicator": indicator,
            "source_kinds": form.source_kinds,
            "param_fields": form.param_fields,
            "definitions": {code: str(get_source(code).definition) for code in form.source_kinds},
        },
    )


def _draft_post(request, pk, ind, run):
    scheme = sel.scheme_for_manager(user=request.user, pk=pk)
    indicator = _indicator(scheme, ind)
    form = f.VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
        return _to_detail(scheme.pk)
    try:
        run(indicator, form.cleaned_data["version"])
    except ValidationError as exc:
        _fail(request, exc)
    return _to_detail(scheme.pk)


@login_required
@require_POST
def indicator_delete(request, pk, ind):
    def run(indicator, version):
        s.indicator_delete(actor=request.user, indicator=indicator, version=version)
        messages.success(request, _("The indicator is deleted."))

    return _draft_post(request, pk, ind, run)


@login_required
@require_POST
def indicator_move(request, pk, ind):
    def run(indicator, version):
        direction = request.POST.get("direction", "")
        s.indicator_move(
            actor=request.user, indicator=indicator, direction=direction, version=version
        )

    return _draft_post(request, pk, ind, run)


@login_required
@require_http_methods(["GET", "POST"])
def evaluators_edit(request, pk, ind):
    scheme = sel.scheme_for_manager(user=request.user, pk=pk)
    indicator = _indicator(scheme, ind)
    _require(indicator.kind == IndicatorKind.EVALUATED)
    form = f.EvaluatorForm(request.POST or None, initial={"version": scheme.version}, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            s.evaluator_set(
                actor=request.user,
                indicator=indicator,
                user=d["user"],
                units=d["units"],
                remove="remove" in request.POST,
                version=d["version"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The evaluators are saved."))
            return redirect("assessments:evaluators_edit", pk=scheme.pk, ind=indicator.pk)
    return render(
        request,
        "assessments/evaluators_form.html",
        {
            "form": form,
            "scheme": scheme,
            "indicator": indicator,
            "evaluators": _evaluators_by_indicator(scheme).get(indicator.pk, []),
            "editable": scheme.status == SchemeStatus.DRAFT,
        },
    )


# --- scoring, computing, publicity, locking ------------------------------------------------------


def _scheme_post(request, pk, run, *, director=False):
    user = request.user
    _require(sel.can_decide(user) if director else sel.can_manage(user))
    scheme = sel.scheme_get(user=user, pk=pk)
    try:
        run(scheme)
    except s.AssessmentActionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _fail(request, exc)
    return _to_detail(scheme.pk)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def scheme_start(request, pk):
    def run(scheme):
        s.scheme_start_scoring(actor=request.user, scheme=scheme, version=_version(request))
        messages.success(request, _("Scoring has started: the indicators are locked."))

    return _scheme_post(request, pk, run)


@login_required
@require_POST
def compute(request, pk):
    def run(scheme):
        s.compute_request(actor=request.user, scheme=scheme)
        messages.info(request, _("The results are being computed."))

    return _scheme_post(request, pk, run)


@login_required
@require_GET
def compute_progress(request, pk):
    _require(sel.can_read_all(request.user))
    scheme = sel.scheme_get(user=request.user, pk=pk)
    run = sel.latest_run(scheme=scheme)
    return render(
        request,
        "assessments/partials/compute_progress.html",
        {
            "scheme": scheme,
            "run": run,
            "active": run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        },
    )


@login_required
@require_POST
def publicity_start(request, pk):
    def run(scheme):
        form = f.PublicityForm(request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        d = form.cleaned_data
        s.scheme_start_publicity(
            actor=request.user,
            scheme=scheme,
            publicity_end=d["publicity_end"],
            version=d["version"],
        )
        messages.success(request, _("The results are published for public notice."))

    return _scheme_post(request, pk, run, director=True)


@login_required
@require_POST
def finalize(request, pk):
    def run(scheme):
        s.scheme_finalize(actor=request.user, scheme=scheme, version=_version(request))
        messages.success(request, _("The results are locked as final."))

    return _scheme_post(request, pk, run, director=True)


# --- evaluators' scores --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_edit(request, pk):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    evaluations = sel.evaluations_for(user=request.user, scheme=scheme)
    _require(evaluations.exists())
    editable = scheme.status == SchemeStatus.SCORING
    form = f.EvaluationForm(
        request.POST if request.method == "POST" else None, evaluations=evaluations
    )
    if request.method == "POST":
        _require(editable)
        if form.is_valid():
            try:
                changed = s.evaluation_save(actor=request.user, scheme=scheme, scores=form.scores())
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("Your scores are saved (%(count)s changed).") % {"count": changed}
                )
                return redirect("assessments:evaluation_edit", pk=scheme.pk)
    return render(
        request,
        "assessments/evaluation_form.html",
        {"form": form, "scheme": scheme, "editable": editable},
    )


# --- bonus and deduction items -------------------------------------------------------------------


@login_required
@require_GET
def adjustment_list(request, pk):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    items = sel.adjustment_list(user=request.user, scheme=scheme).prefetch_related("evidence")
    _require(sel.can_read_all(request.user) or items.exists() or _may_propose(request, scheme))
    director = sel.can_decide(request.user) and scheme.status == SchemeStatus.SCORING
    return render(
        request,
        "assessments/adjustment_list.html",
        {
            "scheme": scheme,
            "items": items,
            "director": director,
            "can_propose": _may_propose(request, scheme),
            "decide_form": f.DecideForm(),
        },
    )


def _may_propose(request, scheme) -> bool:
    return (
        scheme.status == SchemeStatus.SCORING
        and sel.targets_to_propose_for(user=request.user, scheme=scheme).exists()
    )


@login_required
@require_http_methods(["GET", "POST"])
def adjustment_create(request, pk):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    _require(_may_propose(request, scheme))
    targets = sel.targets_to_propose_for(user=request.user, scheme=scheme)
    form = f.AdjustmentForm(
        request.POST or None, request.FILES or None, scheme=scheme, targets=targets
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            s.adjustment_propose(
                actor=request.user,
                scheme=scheme,
                indicator=d["indicator"],
                target=d["target"],
                points=d["points"],
                reason=d["reason"],
                files=d["files"],
            )
        except s.AssessmentActionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The item is proposed to the office director."))
            return redirect("assessments:adjustment_list", pk=scheme.pk)
    return render(request, "assessments/adjustment_form.html", {"form": form, "scheme": scheme})


@login_required
@require_POST
def adjustment_decide(request, pk, item):
    _require(sel.can_decide(request.user))
    scheme = sel.scheme_get(user=request.user, pk=pk)
    adjustment = sel.adjustment_get(user=request.user, scheme=scheme, pk=item)
    form = f.DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
    else:
        d = form.cleaned_data
        try:
            s.adjustment_decide(
                actor=request.user,
                adjustment=adjustment,
                approve=d["decision"] == "approve",
                note=d["note"],
                version=d["version"],
            )
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("The item is decided."))
    return redirect("assessments:adjustment_list", pk=scheme.pk)


@login_required
@require_GET
def evidence_download(request, pk, file):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    try:
        evidence = AdjustmentEvidence.objects.select_related("adjustment__scheme").get(
            pk=file, adjustment__scheme=scheme
        )
    except AdjustmentEvidence.DoesNotExist:
        raise Http404 from None
    handle = s.evidence_download(actor=request.user, evidence=evidence)
    response = FileResponse(handle, content_type=evidence.content_type)
    response["Content-Disposition"] = content_disposition_header(True, evidence.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- results -------------------------------------------------------------------------------------


def _results_scheme(request, pk):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    _require(sel.can_read_all(request.user))
    return scheme


@login_required
@require_GET
def results(request, pk):
    scheme = _results_scheme(request, pk)
    ranking = sel.ranking(scheme=scheme)
    nodes = [n for n in sel.indicator_tree(scheme=scheme) if n.depth == 0]
    table = sel.figure_table(scheme=scheme)
    rows = [
        {"result": r, "cells": [table.get(r.target_id, {}).get(n.indicator.pk) for n in nodes]}
        for r in ranking
    ]
    grades = [(g, Grade(g).label) for g in GRADES[scheme.target_kind]]
    counts = {g: sum(1 for r in ranking if r.grade == g) for g, _label in grades}
    chart = {
        "labels": [r.target.label for r in ranking],
        "totals": [float(r.total) for r in ranking],
        "grades": [r.grade for r in ranking],
        "grade_names": {g: str(label) for g, label in grades},
        "distribution": [{"name": str(label), "value": counts[g]} for g, label in grades],
        "names": {"total": _("Total"), "grades": _("Grades")},
    }
    return render(
        request,
        "assessments/results.html",
        {
            "scheme": scheme,
            "rows": rows,
            "columns": nodes,
            "chart": chart,
            "counts": [(label, counts[g]) for g, label in grades],
            "provisional": scheme.status != SchemeStatus.FINAL,
        },
    )


@login_required
@require_GET
def results_xlsx(request, pk):
    scheme = _results_scheme(request, pk)
    content = exports.results_workbook(scheme)
    s.export_audit(actor=request.user, scheme=scheme, what="xlsx")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{scheme.name}.xlsx")
    return response


@login_required
@require_GET
def notice_docx(request, pk):
    scheme = _results_scheme(request, pk)
    content = exports.results_notice(scheme)
    s.export_audit(actor=request.user, scheme=scheme, what="docx")
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(True, f"{scheme.name}.docx")
    return response


@login_required
@require_GET
def score_card(request, pk, target):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    target = sel.target_get(user=request.user, scheme=scheme, pk=target)
    result = getattr(target, "result", None)
    figures = sel.result_figures(result=result) if result else {}
    nodes = sel.indicator_tree(scheme=scheme, figures=figures)
    appeals = sel.appeal_list(user=request.user, scheme=scheme).filter(target=target)
    return render(
        request,
        "assessments/score_card.html",
        {
            "scheme": scheme,
            "target": target,
            "result": result,
            "nodes": nodes,
            "size": scheme.targets.count(),
            "appeals": appeals,
            "can_appeal": scheme.status == SchemeStatus.PUBLICITY
            and sel.targets_to_appeal_for(user=request.user, scheme=scheme)
            .filter(pk=target.pk)
            .exists(),
            "provisional": scheme.status != SchemeStatus.FINAL,
        },
    )


@login_required
@require_GET
def figure_trace(request, pk, target, ind):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    target = sel.target_get(user=request.user, scheme=scheme, pk=target)
    result = getattr(target, "result", None)
    _require(result is not None)
    figure = sel.indicator_result_get(result=result, indicator_pk=ind)
    rows, hidden = sel.record_rows(user=request.user, figure=figure)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    source = get_source(figure.indicator.source) if figure.indicator.source else None
    return render(
        request,
        "assessments/figure_trace.html",
        {
            "scheme": scheme,
            "target": target,
            "figure": figure,
            "indicator": figure.indicator,
            "source": source,
            "page_obj": page,
            "hidden": hidden,
            "hit_count": sum(1 for r in rows if r["hit"]),
        },
    )


# --- appeals -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def appeal_create(request, pk, target):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    allowed = sel.targets_to_appeal_for(user=request.user, scheme=scheme)
    try:
        target = allowed.get(pk=target)
    except (allowed.model.DoesNotExist, ValueError):
        raise Http404 from None
    if scheme.status != SchemeStatus.PUBLICITY:
        messages.error(request, _("Appeals are possible during the public notice only."))
        return redirect("assessments:score_card", pk=scheme.pk, target=target.pk)
    form = f.AppealForm(request.POST or None, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            s.appeal_file(
                actor=request.user,
                scheme=scheme,
                target=target,
                indicator=d["indicator"],
                reason=d["reason"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The appeal is filed with the efficiency office."))
            return redirect("assessments:score_card", pk=scheme.pk, target=target.pk)
    return render(
        request,
        "assessments/appeal_form.html",
        {"form": form, "scheme": scheme, "target": target},
    )


@login_required
@require_GET
def appeal_list(request, pk):
    scheme = sel.scheme_get(user=request.user, pk=pk)
    _require(sel.can_read_all(request.user))
    return render(
        request,
        "assessments/appeal_list.html",
        {
            "scheme": scheme,
            "appeals": sel.appeal_list(user=request.user, scheme=scheme),
            "director": sel.can_decide(request.user) and scheme.status == SchemeStatus.PUBLICITY,
            "decide_form": f.AppealDecideForm(),
            "pending": AppealStatus.PENDING,
        },
    )


@login_required
@require_POST
def appeal_decide(request, pk, appeal):
    _require(sel.can_decide(request.user))
    scheme = sel.scheme_get(user=request.user, pk=pk)
    appeal = sel.appeal_get(user=request.user, scheme=scheme, pk=appeal)
    form = f.AppealDecideForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        d = form.cleaned_data
        try:
            s.appeal_decide(
                actor=request.user,
                appeal=appeal,
                uphold=d["decision"] == "uphold",
                remedy=d["remedy"] or "none",
                new_points=d["new_points"],
                note=d["note"],
                version=d["version"],
            )
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("The appeal is decided."))
    return redirect("assessments:appeal_list", pk=scheme.pk)
