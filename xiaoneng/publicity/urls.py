from django.urls import path

from xiaoneng.publicity import views

app_name = "publicity"

urlpatterns = [
    path("", views.bulletin_list, name="bulletin_list"),
    path("new/", views.bulletin_create, name="bulletin_create"),
    path("<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("<int:pk>/edit/", views.bulletin_edit, name="bulletin_edit"),
    path("<int:pk>/submit/", views.bulletin_submit, name="bulletin_submit"),
    path("<int:pk>/approve/", views.bulletin_approve, name="bulletin_approve"),
    path("<int:pk>/reject/", views.bulletin_reject, name="bulletin_reject"),
    path("<int:pk>/publish/", views.bulletin_publish, name="bulletin_publish"),
    path("<int:pk>/docx/", views.bulletin_docx, name="bulletin_docx"),
]
