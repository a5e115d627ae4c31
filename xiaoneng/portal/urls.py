from django.urls import path, re_path

from xiaoneng.portal.views import common, filing, info, staff, tracking

app_name = "portal"

urlpatterns = [
    path("", info.home, name="home"),
    path("complaints/new/", filing.complaint_create, name="complaint_create"),
    path("captcha/", filing.captcha_refresh, name="captcha_refresh"),
    path("units/", filing.unit_search, name="unit_search"),
    path("track/", tracking.case_lookup, name="case_lookup"),
    path("track/<str:code>/", tracking.case_detail, name="case_detail"),
    path("track/<str:code>/rating/", tracking.rating_create, name="rating_create"),
    path("track/<str:code>/information/", tracking.supplement_create, name="supplement_create"),
    path("track/<str:code>/close/", tracking.case_leave, name="case_leave"),
    path("t/<str:token>/", tracking.case_link, name="case_link"),
    path("rules/", info.rules, name="rules"),
    path("bulletins/", info.bulletin_list, name="bulletin_list"),
    path("bulletins/<int:year>/<int:seq>/", info.bulletin_detail, name="bulletin_detail"),
    path("statistics/", info.statistics, name="statistics"),
    path("contact/", info.contact, name="contact"),
    # The office's screens (staff back office).
    path("manage/blocklist/", staff.block_list, name="block_list"),
    path("manage/blocklist/<int:pk>/lift/", staff.block_lift, name="block_lift"),
    path("manage/settings/", staff.settings_page, name="settings"),
    path("manage/cases/<int:pk>/access/", staff.access_reissue, name="access_reissue"),
    # Anything else under the portal: its own "not found" page (only paths ending in a slash,
    # so that a missing slash is still added by CommonMiddleware first).
    re_path(r"^.+/$", common.not_found, name="not_found"),
]
