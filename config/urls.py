from django.contrib import admin
from django.urls import include, path

from xiaoneng.core.views import set_language

urlpatterns = [
    path("", include("xiaoneng.core.urls")),
    path("accounts/", include("xiaoneng.accounts.urls")),
    path("org/", include("xiaoneng.org.urls")),
    path("audit/", include("xiaoneng.audit.urls")),
    path("calendar/", include("xiaoneng.workdays.urls")),
    path("inbox/", include("xiaoneng.notifications.urls")),
    path("cases/", include("xiaoneng.cases.urls")),
    path("bulletins/", include("xiaoneng.publicity.urls")),
    path("assessments/", include("xiaoneng.assessments.urls")),
    path("public/", include("xiaoneng.portal.urls")),
    path("api/", include("xiaoneng.api.urls")),
    path("open311/v2/", include("xiaoneng.open311.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
]

handler404 = "xiaoneng.core.views.error_404"
handler500 = "xiaoneng.core.views.error_500"
handler403 = "xiaoneng.core.views.error_403"
