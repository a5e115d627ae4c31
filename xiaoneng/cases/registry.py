"""What the cases app registers with the rest of the platform: the labels of its timeline
events and audit actions, and the texts of its notifications. Texts are rendered from codes
in the reader's language; nothing translated is stored."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "case.registered": _("Registered"),
    "case.duplicate_flagged": _("Flagged as possibly repeating an open case"),
    "case.accepted": _("Accepted"),
    "case.not_accepted": _("Not accepted"),
    "case.dispatched": _("Dispatched"),
    "case.supervised": _("Supervision notice issued"),
    "case.signed": _("Signed for by the unit"),
    "case.handler_assigned": _("Handler assigned"),
    "case.progress": _("Progress recorded"),
    "case.returned": _("Returned by the unit (退单)"),
    "case.return_redispatch": _("Return accepted: re-dispatched"),
    "case.return_insist": _("Return refused: the unit keeps the case"),
    "case.reply_to_head": _("Reply sent to the unit head"),
    "case.head_approved": _("Reply signed off by the unit head"),
    "case.head_rejected": _("Reply sent back by the unit head"),
    "case.replied": _("Reply submitted"),
    "case.co_replied": _("Co-handling unit replied"),
    "case.concluded": _("Concluded and submitted for review"),
    "case.review_passed": _("Review passed"),
    "case.review_returned": _("Returned for redo"),
    "case.callback": _("Complainant called back"),
    "case.redo": _("Reopened for redo"),
    "case.closed": _("Closed out"),
    "case.close_requested": _("Close-out proposed to the director"),
    "case.close_signed": _("Close-out signed off by the director"),
    "case.close_refused": _("Close-out refused by the director"),
    "case.suspended": _("Clock suspended"),
    "case.resumed": _("Clock resumed"),
    "case.extension_requested": _("Extension requested"),
    "case.extension_approved": _("Extension approved"),
    "case.extension_refused": _("Extension refused"),
    "case.major_marked": _("Registered as a major issue"),
    "case.milestone_added": _("Milestone set"),
    "case.milestone_reached": _("Milestone reached"),
    "case.accountability": _("Accountability decision recorded"),
    "case.instruction": _("Leader's instruction"),
    "case.linked": _("Linked to another case"),
    "case.merged": _("Merged into another case"),
    "case.merged_in": _("Another case was merged into this one"),
    "case.attachment_added": _("Attachment added"),
    "case.attachment_released": _("Attachment released to the handling unit"),
    "case.reminder_before_due": _("Reminder: deadline approaching"),
    "case.overdue_notice": _("Reminder notice (催办): deadline passed"),
    "case.supervision_proposed": _("Supervised handling proposed"),
    "case.supplemented": _("The complainant added information on the portal"),
    "case.rated": _("The complainant rated the reply on the portal"),
}

AUDIT_ACTIONS = {
    "cases.case.register": _("Register a case"),
    "cases.case.accept": _("Accept a case"),
    "cases.case.reject": _("Decline a case"),
    "cases.case.dispatch": _("Dispatch a case"),
    "cases.case.supervise": _("Issue a supervision notice"),
    "cases.case.sign": _("Sign for a case"),
    "cases.case.assign_handler": _("Assign a handler"),
    "cases.case.progress": _("Record progress"),
    "cases.case.return": _("Return a case (退单)"),
    "cases.case.return_rule": _("Rule on a returned case"),
    "cases.case.reply": _("Submit a reply"),
    "cases.case.head_decide": _("Unit head's decision on a reply"),
    "cases.case.review": _("Review a concluded case"),
    "cases.case.callback": _("Record a callback"),
    "cases.case.redo": _("Reopen a case for redo"),
    "cases.case.close_out": _("Close a case out"),
    "cases.case.close_request": _("Propose a major issue's close-out"),
    "cases.case.close_signoff": _("Sign off a major issue's close-out"),
    "cases.case.suspend": _("Suspend a case's clock"),
    "cases.case.resume": _("Resume a case's clock"),
    "cases.case.extension_request": _("Request an extension"),
    "cases.case.extension_decide": _("Decide an extension"),
    "cases.case.mark_major": _("Register a major issue"),
    "cases.case.milestone_add": _("Set a milestone"),
    "cases.case.milestone_reach": _("Reach a milestone"),
    "cases.case.accountability": _("Record accountability"),
    "cases.case.instruct": _("Write an instruction"),
    "cases.case.link": _("Link cases"),
    "cases.case.merge": _("Merge cases"),
    "cases.case.view_protected": _("View a complainant's identity"),
    "cases.case.escalate": _("Escalate a deadline"),
    "cases.category.create": _("Create a complaint category"),
    "cases.category.update": _("Change a complaint category"),
    "cases.timelimit.set": _("Set a time limit"),
    "cases.timelimit.delete": _("Remove a time limit"),
    "cases.settings.update": _("Change the case settings"),
    "cases.attachment.upload": _("Upload an attachment"),
    "cases.attachment.release": _("Release an attachment to a unit"),
    "cases.attachment.download": _("Download an attachment"),
    "cases.ledger.export": _("Export the ledger"),
    "cases.ledger.export_download": _("Download a ledger export written in the background"),
    "cases.report.export": _("Export a monthly report"),
    "cases.case.supplement": _("Add information to a case on the portal"),
    "cases.case.rate": _("Rate a reply on the portal"),
}


def _stage_label(params: dict) -> dict:
    from xiaoneng.cases.choices import Stage

    return {
        **params,
        "stage": dict(Stage.choices).get(params.get("stage"), params.get("stage", "")),
    }


NOTIFICATIONS = {
    "case.web_registered": (
        _("Complaint %(number)s was filed on the portal"),
        _("Decide whether to accept it within the time limit."),
    ),
    "case.supplemented": (_("The complainant added information to case %(number)s"), ""),
    "case.rated_dissatisfied": (
        _("The complainant is dissatisfied with the reply to case %(number)s"),
        _("Reopen the case for redo, or close it out with an explanation."),
    ),
    "case.to_dispatch": (_("Case %(number)s is accepted and waits for dispatch"), ""),
    "case.dispatched": (
        _("Case %(number)s has been dispatched to your unit"),
        _("Sign for it and handle it within the time limit."),
    ),
    "case.supervised": (_("Case %(number)s is under supervised handling"), ""),
    "case.handler_assigned": (_("You handle case %(number)s"), ""),
    "case.returned": (_("%(unit)s returned case %(number)s"), _("Rule on the return.")),
    "case.return_refused": (
        _("The return of case %(number)s was refused"),
        _("Your unit keeps the case and must handle it."),
    ),
    "case.head_approval": (_("The reply to case %(number)s waits for your sign-off"), ""),
    "case.head_rejected": (_("The unit head sent back the reply to case %(number)s"), ""),
    "case.co_replied": (_("%(unit)s replied on case %(number)s"), ""),
    "case.to_review": (_("Case %(number)s is concluded and waits for review"), ""),
    "case.redo": (_("Case %(number)s is returned for redo"), _("Reason: %(reason)s")),
    "case.close_signoff": (
        _("The close-out of major issue %(number)s waits for your sign-off"),
        "",
    ),
    "case.extension_requested": (
        _("An extension of %(days)s working days is requested on case %(number)s"),
        "",
    ),
    "case.extension_decided": (_("Your extension request on case %(number)s has been decided"), ""),
    "case.major_leader": (_("You are the responsible leader of major issue %(number)s"), ""),
    "case.instruction": (_("%(leader)s wrote an instruction on case %(number)s"), ""),
    "case.reminder_before_due": (
        _("Case %(number)s: the deadline is approaching"),
        _("The %(stage)s deadline is %(due)s."),
        _stage_label,
    ),
    "case.overdue_notice": (
        _("Reminder notice (催办): case %(number)s is overdue"),
        _("The %(stage)s deadline was %(due)s."),
        _stage_label,
    ),
    "case.supervision_proposed": (
        _("Case %(number)s: supervised handling proposed"),
        _("The %(stage)s deadline passed on %(due)s and the case is still open."),
        _stage_label,
    ),
}


def register() -> None:
    from xiaoneng.audit.actions import register_actions
    from xiaoneng.notifications.messages import register_messages

    register_actions(AUDIT_ACTIONS)
    register_messages(NOTIFICATIONS)
