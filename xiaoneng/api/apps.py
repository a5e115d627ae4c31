from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "xiaoneng.api"
    label = "api"
    verbose_name = _("Interfaces (API and Open311)")

    def ready(self) -> None:
        from xiaoneng.api import registry

        registry.register()
