from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "xiaoneng.publicity"
    label = "publicity"
    verbose_name = _("Bulletins and publicity")

    def ready(self) -> None:
        from xiaoneng.publicity import registry

        registry.register()
