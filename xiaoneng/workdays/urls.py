from django.urls import path

from xiaoneng.workdays import views

app_name = "workdays"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("overrides/", views.override_create, name="override_create"),
    path("overrides/<int:pk>/delete/", views.override_delete, name="override_delete"),
    path("years/", views.year_enter, name="year_enter"),
    path("due-dates/", views.due_date, name="due_date"),
]
