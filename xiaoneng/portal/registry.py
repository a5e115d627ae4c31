"""What the portal registers with the rest of the platform: the labels of its audit actions."""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "portal.access.issue": _("Issue a query code for a complaint filed on the portal"),
    "portal.access.reissue": _("Issue a new query password for a complaint filed on the portal"),
    "portal.block.create": _("Add a rule to the portal's blocklist"),
    "portal.block.lift": _("Lift a rule of the portal's blocklist"),
    "portal.settings.update": _("Change the portal settings"),
}


def register() -> None:
    from xiaoneng.audit.actions import register_actions

    register_actions(AUDIT_ACTIONS)
