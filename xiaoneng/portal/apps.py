from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "xiaoneng.portal"
    label = "portal"
    verbose_name = _("Public portal")

    def ready(self) -> None:
        from xiaoneng.portal import registry

        registry.register()
