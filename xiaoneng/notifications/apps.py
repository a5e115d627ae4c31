from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "xiaoneng.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from xiaoneng.notifications.messages import FOUNDATION_MESSAGES, register_messages

        register_messages(FOUNDATION_MESSAGES)
