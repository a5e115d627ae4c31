from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xiaoneng.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from xiaoneng.audit.actions import register_actions
        from xiaoneng.core import checks  # noqa: F401  (registers the system checks)

        register_actions({"core.data_key.rotate": _("Re-encrypt protected data")})
