import pytest
from django.utils import translation

from xiaoneng.notifications import messages


@pytest.fixture
def language_probe(monkeypatch):
    """A message whose text names the language it was rendered in (the Chinese catalogue
    may not translate our strings yet, so this is how tests see which language was used)."""
    code = "tests.language_probe"
    monkeypatch.setitem(
        messages._REGISTRY,
        code,
        messages.Message(
            "Probe %(lang)s %(number)s",
            "Body %(lang)s",
            lambda params: {**params, "lang": translation.get_language()},
        ),
    )
    return code
