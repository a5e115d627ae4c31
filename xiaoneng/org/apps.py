from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xiaoneng.org"
    label = "org"
    verbose_name = _("Organisation and people")

    def ready(self) -> None:
        from xiaoneng.org import checks  # noqa: F401  (registers the system checks)
