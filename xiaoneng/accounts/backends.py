from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from xiaoneng.core.middleware import client_ip


class PolicyBackend(ModelBackend):
    """Password sign-in that honours the security policy.

    Every ``authenticate()`` call (the Django admin's login form, ``Client.login`` in tests)
    goes through :func:`~xiaoneng.accounts.services.login_attempt`, so lockout, the
    per-address limit and the audit trail apply to it too. The staff sign-in page calls the
    service itself, to tell the person why they were refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from xiaoneng.accounts.services import login_attempt

        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        ip = client_ip(request) if request is not None else None
        result = login_attempt(username=username, password=password, ip=ip)
        return result.user if result.ok else None

    def get_user(self, user_id):
        # The layout shows the person's unit on every page: load it with the user.
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("unit").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
