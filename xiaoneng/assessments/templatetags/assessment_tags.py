from decimal import Decimal

from django import template

from xiaoneng.assessments import texts
from xiaoneng.assessments.choices import Grade
from xiaoneng.assessments.scoring import text as number

register = template.Library()


@register.filter
def rule_text(indicator) -> str:
    return texts.rule_text(indicator)


@register.filter
def figure_text(figure) -> str:
    return texts.figure_text(figure) if figure is not None else ""


@register.filter
def grade_label(code: str) -> str:
    return str(Grade(code).label) if code in Grade.values else ""


@register.filter
def indent(depth: int) -> range:
    return range(depth or 0)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, []) if mapping else []


@register.filter
def figure_value(figure) -> str:
    """A figure's value as read: a rate with one decimal and a per cent sign, a count as a
    whole number, a score with up to two decimals; "—" without a value."""
    if figure is None or figure.value is None:
        return "—"
    if figure.denominator is not None:
        return f"{figure.value.quantize(Decimal('0.1'))}%"
    return number(figure.value)
