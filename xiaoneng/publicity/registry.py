"""The labels of the bulletins' audit actions."""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "publicity.bulletin.draft": _("Bulletin drafted"),
    "publicity.bulletin.update": _("Bulletin edited"),
    "publicity.bulletin.submit": _("Bulletin submitted for approval"),
    "publicity.bulletin.approve": _("Bulletin approved and numbered"),
    "publicity.bulletin.reject": _("Bulletin sent back to draft"),
    "publicity.bulletin.publish": _("Bulletin published"),
    "publicity.bulletin.export": _("Bulletin exported as a Word document"),
}


def register() -> None:
    from xiaoneng.audit.actions import register_actions

    register_actions(AUDIT_ACTIONS)
