import factory

from xiaoneng.notifications.models import Notification
from xiaoneng.org.tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    code = "system.test"
    params = factory.LazyFunction(dict)
    url = ""
