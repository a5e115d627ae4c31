from django.urls import path, re_path

from xiaoneng.api import views
from xiaoneng.api.api import api
from xiaoneng.api.pipeline import not_found_view

app_name = "api"

urlpatterns = [
    path("v1/", api.urls),
    # Anything else under the API answers a JSON 404, never the site's HTML page.
    re_path(r"^v1/", not_found_view),
    *views.urlpatterns,
]
