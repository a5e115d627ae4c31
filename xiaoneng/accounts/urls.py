from django.urls import path

from xiaoneng.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("policy/", views.policy_edit, name="policy_edit"),
    path("policy/profile/", views.policy_profile_apply, name="policy_profile_apply"),
    path("locks/", views.lock_list, name="lock_list"),
    path("locks/<int:user_id>/unlock/", views.account_unlock_view, name="account_unlock"),
]
