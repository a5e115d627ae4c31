"""The labels of the Open311 audit actions."""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "open311.settings.update": _("Open311 settings changed"),
    "open311.service.create": _("Open311 service added"),
    "open311.service.update": _("Open311 service changed"),
    "open311.attribute.create": _("Open311 service question added"),
    "open311.attribute.update": _("Open311 service question changed"),
    "open311.attribute.delete": _("Open311 service question removed"),
    "open311.client.create": _("Open311 API client registered"),
    "open311.client.rotate_key": _("Open311 API key renewed"),
    "open311.client.revoke": _("Open311 API key revoked"),
    "open311.request.create": _("Request filed through Open311"),
}


def register() -> None:
    from xiaoneng.audit.actions import register_actions

    register_actions(AUDIT_ACTIONS)
