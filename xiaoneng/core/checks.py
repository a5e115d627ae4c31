"""System checks of the data key that protects personal data (``xiaoneng.core.crypto``)."""

from django.core.checks import Error, Info, Tags, register
from django.core.exceptions import ImproperlyConfigured

from xiaoneng.core.crypto import DataKeyMissing, load_cipher


@register(Tags.security)
def check_data_key(app_configs=None, **kwargs):
    """A usable data key is configured: without one, nothing protected can be written or
    read. The public development key (DEBUG without a key) is reported as information."""
    try:
        cipher = load_cipher()
    except DataKeyMissing as exc:
        return [
            Error(
                "No data key is configured for the complainants' identities.",
                hint=str(exc),
                id="xiaoneng.E010",
            )
        ]
    except ImproperlyConfigured as exc:
        return [
            Error(
                "The data key cannot be used.",
                hint=str(exc) + " See docs/operations.md, “The data key”.",
                id="xiaoneng.E011",
            )
        ]
    if cipher.development:
        return [
            Info(
                "The public development data key is in use: the complainants' identities are "
                "not protected. Set XIAONENG_DATA_KEY before entering real data.",
                id="xiaoneng.I010",
            )
        ]
    return []
