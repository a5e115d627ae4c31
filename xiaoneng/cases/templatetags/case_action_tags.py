"""The case page's action cards: ``{% case_action_panels as panels %}`` builds the forms of
every action the viewer may take now (see ``xiaoneng.cases.views.actions``)."""

from django import template

from xiaoneng.cases.views.actions import action_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def case_action_panels(context):
    """Reads ``case``, ``case_actions``, ``assignment_actions`` and ``my_assignments`` from
    the case page's context (computed when absent)."""
    return action_panels(
        user=context["request"].user,
        case=context["case"],
        case_actions=context.get("case_actions"),
        assignment_actions=context.get("assignment_actions"),
        my_assignments=context.get("my_assignments"),
    )
