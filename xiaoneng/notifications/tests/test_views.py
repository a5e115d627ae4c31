import pytest
from django.urls import reverse
from django.utils import timezone

from xiaoneng.notifications.models import Notification
from xiaoneng.notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("notifications:inbox")


def read_url(notification):
    return reverse("notifications:notification_read", args=[notification.pk])


@pytest.fixture
def as_clerk(client, clerk):
    client.force_login(clerk)
    return client


class TestInbox:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(INBOX)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))

    @pytest.mark.parametrize(
        "persona",
        [
            "clerk",
            "supervisor",
            "director",
            "leader",
            "liaison_a",
            "handler_a",
            "unit_head_a",
            "inspector",
            "sysadmin",
            "secadmin",
            "auditadmin",
        ],
    )
    def test_every_role_has_an_inbox(self, client, request, persona):
        user = request.getfixturevalue(persona)
        NotificationFactory(recipient=user, code="org.account.created", params={"username": "u"})
        client.force_login(user)
        response = client.get(INBOX)
        assert response.status_code == 200
        assert [n.recipient for n in response.context["page"].object_list] == [user]

    def test_lists_only_own_notifications(self, as_clerk, clerk, supervisor):
        mine = NotificationFactory(
            recipient=clerk, code="org.account.created", params={"username": "mine-1"}
        )
        NotificationFactory(
            recipient=supervisor, code="org.account.created", params={"username": "theirs-1"}
        )
        response = as_clerk.get(INBOX)
        assert list(response.context["page"].object_list) == [mine]
        content = response.content.decode()
        assert "mine-1" in content
        assert "theirs-1" not in content

    def test_renders_text_in_the_readers_language(self, as_clerk, clerk):
        NotificationFactory(
            recipient=clerk,
            code="org.roles.changed",
            params={"added": ["intake_clerk"], "removed": []},
        )
        response = as_clerk.get(INBOX, headers={"accept-language": "en"})
        assert "Roles added: Intake clerk. Roles removed: none." in response.content.decode()

    def test_unread_filter(self, as_clerk, clerk):
        unread = NotificationFactory(recipient=clerk)
        NotificationFactory(recipient=clerk, read_at=timezone.now())
        response = as_clerk.get(INBOX, {"filter": "unread"})
        assert list(response.context["page"].object_list) == [unread]
        assert response.context["unread_only"] is True

    def test_unread_badge_shows_the_count(self, as_clerk, clerk, supervisor):
        NotificationFactory.create_batch(3, recipient=clerk)
        NotificationFactory(recipient=clerk, read_at=timezone.now())
        NotificationFactory(recipient=supervisor)
        response = as_clerk.get(INBOX)
        assert response.context["inbox_unread"] == 3
        content = response.content.decode()
        assert 'translate-middle badge rounded-pill bg-danger">3</span>' in content
        assert 'data-testid="inbox-unread-count">3条未读</span>' in content

    def test_paginated_by_30(self, as_clerk, clerk):
        NotificationFactory.create_batch(31, recipient=clerk)
        first = as_clerk.get(INBOX)
        assert len(first.context["page"].object_list) == 30
        second = as_clerk.get(INBOX, {"page": 2})
        assert len(second.context["page"].object_list) == 1

    def test_query_count_does_not_grow_with_notifications(
        self, as_clerk, clerk, django_assert_max_num_queries
    ):
        NotificationFactory(recipient=clerk)
        as_clerk.get(INBOX)  # warm up caches (content types, session)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            as_clerk.get(INBOX)
        NotificationFactory.create_batch(29, recipient=clerk)
        with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as many:
            response = as_clerk.get(INBOX)
        assert len(response.context["page"].object_list) == 30
        assert len(many) == len(few)

    def test_post_is_not_allowed(self, as_clerk):
        assert as_clerk.post(INBOX).status_code == 405


class TestMarkRead:
    def test_anonymous_is_sent_to_login_and_nothing_changes(self, client, clerk):
        notification = NotificationFactory(recipient=clerk)
        response = client.post(read_url(notification))
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
        notification.refresh_from_db()
        assert notification.read_at is None

    def test_get_does_not_mark_read(self, as_clerk, clerk):
        notification = NotificationFactory(recipient=clerk)
        assert as_clerk.get(read_url(notification)).status_code == 405
        notification.refresh_from_db()
        assert notification.read_at is None

    def test_someone_elses_notification_is_404_and_unchanged(self, as_clerk, supervisor):
        notification = NotificationFactory(recipient=supervisor, url="/cases/1/")
        response = as_clerk.post(read_url(notification))
        assert response.status_code == 404
        notification.refresh_from_db()
        assert notification.read_at is None

    def test_unknown_id_is_404(self, as_clerk):
        assert (
            as_clerk.post(reverse("notifications:notification_read", args=[999999])).status_code
            == 404
        )

    def test_opening_marks_read_and_goes_to_the_link(self, as_clerk, clerk):
        notification = NotificationFactory(recipient=clerk, url="/cases/7/")
        response = as_clerk.post(read_url(notification))
        assert response.status_code == 302
        assert response.url == "/cases/7/"
        notification.refresh_from_db()
        assert notification.read_at is not None

    def test_without_a_link_goes_back_to_the_inbox(self, as_clerk, clerk):
        notification = NotificationFactory(recipient=clerk, url="")
        response = as_clerk.post(read_url(notification))
        assert response.url == INBOX

    def test_next_wins_when_on_this_site(self, as_clerk, clerk):
        notification = NotificationFactory(recipient=clerk, url="/cases/7/")
        response = as_clerk.post(read_url(notification), {"next": "/inbox/?page=2"})
        assert response.url == "/inbox/?page=2"

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
    def test_never_redirects_off_site(self, as_clerk, clerk, target):
        notification = NotificationFactory(recipient=clerk, url=target)  # written by hand
        response = as_clerk.post(read_url(notification), {"next": target})
        assert response.url == INBOX

    def test_htmx_swaps_the_item_in_place(self, as_clerk, clerk):
        notification = NotificationFactory(recipient=clerk, url="/cases/7/")
        NotificationFactory(recipient=clerk)  # still unread afterwards
        response = as_clerk.post(read_url(notification), headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == (
            "notifications/partials/notification_item.html"
        )
        content = response.content.decode()
        assert f'id="notification-{notification.pk}"' in content
        assert 'data-read="true"' in content
        assert "<html" not in content
        assert 'hx-swap-oob="true"' in content
        assert ">1条未读</span>" in content
        assert response["HX-Trigger"] == '{"xn:inbox-unread": 1}'
        notification.refresh_from_db()
        assert notification.read_at is not None


class TestMarkAllRead:
    URL = reverse("notifications:notification_read_all")

    def test_marks_only_own(self, as_clerk, clerk, supervisor):
        NotificationFactory.create_batch(2, recipient=clerk)
        theirs = NotificationFactory(recipient=supervisor)
        response = as_clerk.post(self.URL)
        assert response.status_code == 302
        assert response.url == INBOX
        assert not Notification.objects.filter(recipient=clerk, read_at__isnull=True).exists()
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_get_is_refused(self, as_clerk, clerk):
        NotificationFactory(recipient=clerk)
        assert as_clerk.get(self.URL).status_code == 405
        assert Notification.objects.filter(read_at__isnull=True).count() == 1

    def test_anonymous_is_sent_to_login(self, client):
        response = client.post(self.URL)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


class TestSendTest:
    URL = reverse("notifications:notification_test")

    def test_system_admin_sends_themself_a_test(self, client, sysadmin):
        client.force_login(sysadmin)
        response = client.post(self.URL)
        assert response.status_code == 302
        assert list(Notification.objects.values_list("recipient", "code")) == [
            (sysadmin.pk, "system.test")
        ]

    @pytest.mark.parametrize("persona", ["clerk", "secadmin", "handler_a"])
    def test_other_roles_get_404_and_nothing_is_sent(self, client, request, persona):
        client.force_login(request.getfixturevalue(persona))
        assert client.post(self.URL).status_code == 404
        assert Notification.objects.count() == 0

    def test_anonymous_is_sent_to_login(self, client):
        assert client.post(self.URL).status_code == 302
        assert Notification.objects.count() == 0

    def test_button_shown_to_system_admin_only(self, client, sysadmin, clerk):
        client.force_login(sysadmin)
        assert 'data-testid="send-test"' in client.get(INBOX).content.decode()
        client.force_login(clerk)
        assert 'data-testid="send-test"' not in client.get(INBOX).content.decode()
