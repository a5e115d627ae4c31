from django.urls import path, re_path

from xiaoneng.open311 import api, views

app_name = "open311"

_FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    # GeoReport v2
    re_path(r"^discovery" + _FMT, api.discovery, name="discovery"),
    re_path(r"^services" + _FMT, api.services, name="services"),
    re_path(
        r"^services/(?P<service_code>[A-Za-z0-9_-]{1,32})" + _FMT,
        api.service_definition,
        name="service_definition",
    ),
    re_path(r"^requests" + _FMT, api.requests, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[A-Za-z0-9_-]{1,40})" + _FMT,
        api.request_detail,
        name="request_detail",
    ),
    re_path(r"^tokens/(?P<token>[A-Za-z0-9_-]{1,64})" + _FMT, api.token, name="token"),
    # Staff screens
    path("manage/", views.manage, name="manage"),
    path("manage/settings/", views.settings_update, name="settings_update"),
    path("manage/services/new/", views.service_create, name="service_create"),
    path("manage/services/<int:pk>/", views.service_update, name="service_update"),
    path(
        "manage/services/<int:pk>/attributes/",
        views.attribute_create,
        name="attribute_create",
    ),
    path(
        "manage/services/<int:pk>/attributes/<int:attribute_pk>/",
        views.attribute_update,
        name="attribute_update",
    ),
    path(
        "manage/services/<int:pk>/attributes/<int:attribute_pk>/delete/",
        views.attribute_delete,
        name="attribute_delete",
    ),
    path("manage/clients/new/", views.client_create, name="client_create"),
    path("manage/clients/<int:pk>/rotate-key/", views.client_rotate_key, name="client_rotate_key"),
    path("manage/clients/<int:pk>/revoke/", views.client_revoke, name="client_revoke"),
    # Anything else under the interface answers in the specification's error format.
    re_path(r"^(?!manage/)(?P<path>.*)$", api.not_found, name="not_found"),
]
