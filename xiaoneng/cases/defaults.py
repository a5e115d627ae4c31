"""What a new installation starts with: the efficiency-complaint categories (editable later
on the case settings page)."""

DEFAULT_CATEGORIES = [
    ("TWCP", "推诿扯皮", "Passing the buck"),
    ("MNJ", "门难进", "Hard to get in the door"),
    ("LNK", "脸难看", "Unfriendly faces"),
    ("SNB", "事难办", "Hard to get things done"),
    ("CNKY", "吃拿卡要", "Taking, grabbing, blocking, demanding"),
    ("BZW", "不作为", "Inaction"),
    ("MZW", "慢作为", "Slow action"),
    ("LZW", "乱作为", "Arbitrary action"),
    ("WGSF", "违规收费", "Unlawful fees"),
    ("ZWGK", "政务公开", "Government transparency"),
    ("FWTD", "服务态度", "Service attitude"),
    ("QT", "其他", "Other"),
]


def seed_categories(category_model) -> int:
    """Create the default categories that are missing; returns how many were created."""
    created = 0
    for order, (code, name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
        _obj, made = category_model.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order * 10}
        )
        created += made
    return created
