from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "xiaoneng.cases"
    label = "cases"
    verbose_name = _("Complaint and report centre")

    def ready(self) -> None:
        from xiaoneng.cases import registry

        registry.register()
