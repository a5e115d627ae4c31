from django.urls import path

from xiaoneng.assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.scheme_list, name="scheme_list"),
    path("new/", views.scheme_create, name="scheme_create"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("<int:pk>/", views.scheme_detail, name="scheme_detail"),
    path("<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("<int:pk>/copy/", views.scheme_copy, name="scheme_copy"),
    path("<int:pk>/grades/", views.grades_edit, name="grades_edit"),
    path("<int:pk>/indicators/new/", views.indicator_edit, name="indicator_create"),
    path("<int:pk>/indicators/<int:ind>/", views.indicator_edit, name="indicator_edit"),
    path("<int:pk>/indicators/<int:ind>/delete/", views.indicator_delete, name="indicator_delete"),
    path("<int:pk>/indicators/<int:ind>/move/", views.indicator_move, name="indicator_move"),
    path(
        "<int:pk>/indicators/<int:ind>/evaluators/",
        views.evaluators_edit,
        name="evaluators_edit",
    ),
    path("<int:pk>/start/", views.scheme_start, name="scheme_start"),
    path("<int:pk>/compute/", views.compute, name="compute"),
    path("<int:pk>/compute/progress/", views.compute_progress, name="compute_progress"),
    path("<int:pk>/evaluations/", views.evaluation_edit, name="evaluation_edit"),
    path("<int:pk>/adjustments/", views.adjustment_list, name="adjustment_list"),
    path("<int:pk>/adjustments/new/", views.adjustment_create, name="adjustment_create"),
    path(
        "<int:pk>/adjustments/<int:item>/decide/",
        views.adjustment_decide,
        name="adjustment_decide",
    ),
    path("<int:pk>/evidence/<int:file>/", views.evidence_download, name="evidence_download"),
    path("<int:pk>/publicity/", views.publicity_start, name="publicity_start"),
    path("<int:pk>/finalize/", views.finalize, name="finalize"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("<int:pk>/notice.docx", views.notice_docx, name="notice_docx"),
    path("<int:pk>/cards/<int:target>/", views.score_card, name="score_card"),
    path(
        "<int:pk>/cards/<int:target>/indicators/<int:ind>/",
        views.figure_trace,
        name="figure_trace",
    ),
    path("<int:pk>/cards/<int:target>/appeal/", views.appeal_create, name="appeal_create"),
    path("<int:pk>/appeals/", views.appeal_list, name="appeal_list"),
    path("<int:pk>/appeals/<int:appeal>/decide/", views.appeal_decide, name="appeal_decide"),
]
