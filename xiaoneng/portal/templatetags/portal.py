from django import template

register = template.Library()


@register.filter
def group(value, size: int = 4) -> str:
    """``ABCDEFGH`` → ``ABCD EFGH``: codes are easier to read and copy in groups."""
    text = str(value or "")
    size = max(int(size), 1)
    return " ".join(text[i : i + size] for i in range(0, len(text), size))
