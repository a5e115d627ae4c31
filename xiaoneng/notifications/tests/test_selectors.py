import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from xiaoneng.notifications.selectors import notification_list, unread_count
from xiaoneng.notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_unread_count_counts_own_unread_in_one_query(clerk, supervisor, django_assert_num_queries):
    NotificationFactory.create_batch(2, recipient=clerk)
    NotificationFactory(recipient=clerk, read_at=timezone.now())
    NotificationFactory(recipient=supervisor)
    with django_assert_num_queries(1):
        assert unread_count(user=clerk) == 2


def test_unread_count_of_anonymous_is_zero(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert unread_count(user=AnonymousUser()) == 0


def test_list_holds_only_own_notifications_newest_first(clerk, supervisor):
    now = timezone.now()
    old = NotificationFactory(recipient=clerk, created_at=now - timezone.timedelta(hours=2))
    new = NotificationFactory(recipient=clerk, created_at=now)
    NotificationFactory(recipient=supervisor)
    assert list(notification_list(user=clerk)) == [new, old]


def test_list_unread_only(clerk):
    unread = NotificationFactory(recipient=clerk)
    NotificationFactory(recipient=clerk, read_at=timezone.now())
    assert list(notification_list(user=clerk, unread_only=True)) == [unread]


def test_list_of_anonymous_is_empty(clerk):
    NotificationFactory(recipient=clerk)
    assert list(notification_list(user=AnonymousUser())) == []
