"""What the API app registers with the rest of the platform: the labels of its audit actions."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from xiaoneng.audit.actions import register_actions

    register_actions(
        {
            "api.token.create": _("API token created"),
            "api.token.revoke": _("API token revoked"),
            "api.service_account.create": _("Service account created"),
        }
    )
