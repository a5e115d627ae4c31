from django.urls import path

from xiaoneng.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.entry_list, name="entry_list"),
    path("entries/<int:position>/", views.entry_detail, name="entry_detail"),
    path("verify/", views.chain_verify, name="chain_verify"),
    path("head/", views.head_export, name="head_export"),
]
