from xiaoneng.cases.views import actions, attachments, ledger, pages, reports, settings, statistics

app_name = "cases"
urlpatterns = (
    pages.urlpatterns
    + actions.urlpatterns
    + attachments.urlpatterns
    + settings.urlpatterns
    + ledger.urlpatterns
    + statistics.urlpatterns
    + reports.urlpatterns
)
