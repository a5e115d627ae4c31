from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "xiaoneng.assessments"
    label = "assessments"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        from xiaoneng.assessments import registry

        registry.register()
