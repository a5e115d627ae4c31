"""What the assessments app registers with the rest of the platform: the labels of its audit
actions, the texts of its notifications and the case indicators of its data-source registry.
Texts are rendered from codes in the reader's language; nothing translated is stored."""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "assessments.group.create": _("Assessment group created"),
    "assessments.group.update": _("Assessment group edited"),
    "assessments.scheme.create": _("Assessment scheme created"),
    "assessments.scheme.copy": _("Assessment scheme copied"),
    "assessments.scheme.update": _("Assessment scheme edited"),
    "assessments.scheme.indicator_save": _("Assessment indicator saved"),
    "assessments.scheme.indicator_delete": _("Assessment indicator deleted"),
    "assessments.scheme.indicator_move": _("Assessment indicator moved"),
    "assessments.scheme.grades": _("Assessment grades edited"),
    "assessments.scheme.evaluators": _("Assessment evaluators changed"),
    "assessments.scheme.start_scoring": _("Assessment scoring started"),
    "assessments.scheme.compute": _("Assessment computation requested"),
    "assessments.scheme.computed": _("Assessment results computed"),
    "assessments.scheme.publicity": _("Assessment results published for public notice"),
    "assessments.scheme.finalize": _("Assessment locked as final"),
    "assessments.scheme.export": _("Assessment results exported"),
    "assessments.evaluation.save": _("Evaluation scores saved"),
    "assessments.adjustment.propose": _("Bonus or deduction item proposed"),
    "assessments.adjustment.decide": _("Bonus or deduction item decided"),
    "assessments.adjustment.evidence": _("Evidence of a bonus or deduction item downloaded"),
    "assessments.appeal.file": _("Assessment appeal filed"),
    "assessments.appeal.decide": _("Assessment appeal decided"),
}

NOTIFICATIONS = {
    "assessment.evaluator": (
        _("You are an evaluator of %(scheme)s"),
        _("Score the units or persons assigned to you before the results are computed."),
    ),
    "assessment.adjustment_proposed": (
        _("A bonus or deduction item for %(target)s waits for your decision"),
        _("Scheme: %(scheme)s."),
    ),
    "assessment.adjustment_decided": (
        _("Your bonus or deduction item for %(target)s has been decided"),
        _("Scheme: %(scheme)s."),
    ),
    "assessment.publicity": (
        _("The results of %(scheme)s are published for public notice"),
        _("Your unit may appeal against a score until %(end)s."),
    ),
    "assessment.appeal_filed": (
        _("%(target)s appealed against its score in %(scheme)s"),
        _("Decide the appeal before the results are locked."),
    ),
    "assessment.appeal_decided": (
        _("Your appeal in %(scheme)s has been decided"),
        _("Open the score card to read the decision."),
    ),
}


def register() -> None:
    from xiaoneng.assessments.indicators import cases
    from xiaoneng.audit.actions import register_actions
    from xiaoneng.notifications.messages import register_messages

    register_actions(AUDIT_ACTIONS)
    register_messages(NOTIFICATIONS)
    cases.register()
