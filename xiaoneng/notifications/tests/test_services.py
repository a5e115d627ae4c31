import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from xiaoneng.notifications.models import Notification
from xiaoneng.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notify,
)
from xiaoneng.notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_on(settings):
    settings.NOTIFICATIONS_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


class TestNotify:
    def test_creates_one_row_per_recipient(self, clerk, supervisor):
        count = notify(
            recipients=[clerk, supervisor],
            code="org.account.created",
            params={"username": "x"},
            url="/org/",
        )
        assert count == 2
        rows = Notification.objects.order_by("recipient__username")
        assert [(n.recipient, n.code, n.params, n.url, n.read_at) for n in rows] == [
            (clerk, "org.account.created", {"username": "x"}, "/org/", None),
            (supervisor, "org.account.created", {"username": "x"}, "/org/", None),
        ]

    def test_a_recipient_listed_twice_gets_one(self, clerk):
        assert notify(recipients=[clerk, clerk], code="system.test") == 1
        assert Notification.objects.count() == 1

    def test_accepts_a_queryset(self, clerk, supervisor):
        from xiaoneng.org.models import User

        assert notify(recipients=User.objects.all(), code="system.test") == 2

    def test_skips_deactivated_accounts(self, clerk, supervisor):
        supervisor.is_active = False
        supervisor.save()
        assert notify(recipients=[clerk, supervisor], code="system.test") == 1
        assert list(Notification.objects.values_list("recipient", flat=True)) == [clerk.pk]

    def test_unknown_code_is_rejected_and_nothing_created(self, clerk):
        with pytest.raises(ValueError, match="no.such.code"):
            notify(recipients=[clerk], code="no.such.code")
        assert Notification.objects.count() == 0

    @pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "cases/1/"])
    def test_absolute_or_odd_urls_are_rejected(self, clerk, url):
        with pytest.raises(ValueError):
            notify(recipients=[clerk], code="system.test", url=url)
        assert Notification.objects.count() == 0

    def test_no_recipients(self):
        assert notify(recipients=[], code="system.test") == 0


class TestEmail:
    def test_no_email_when_switched_off(self, settings, clerk, django_capture_on_commit_callbacks):
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        settings.NOTIFICATIONS_EMAIL = False
        clerk.email = "clerk@example.gov.cn"
        clerk.save()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            notify(recipients=[clerk], code="system.test")
        assert callbacks == []
        assert mail.outbox == []

    def test_email_is_sent_only_after_commit(
        self, email_on, clerk, language_probe, django_capture_on_commit_callbacks
    ):
        clerk.email = "clerk@example.gov.cn"
        clerk.save()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notify(recipients=[clerk], code=language_probe, params={"number": 1})
        assert mail.outbox == []  # not yet committed
        assert len(callbacks) == 1
        callbacks[0]()
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["clerk@example.gov.cn"]

    def test_each_recipient_gets_it_in_their_language(
        self,
        email_on,
        clerk,
        supervisor,
        director,
        language_probe,
        django_capture_on_commit_callbacks,
    ):
        clerk.email, clerk.language = "clerk@example.gov.cn", "en"
        supervisor.email, supervisor.language = "sup@example.gov.cn", ""  # site default
        director.email = ""  # no address: inbox only
        for user in (clerk, supervisor, director):
            user.save()
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                recipients=[clerk, supervisor, director],
                code=language_probe,
                params={"number": 42},
                url="/cases/42/",
            )
        sent = {m.to[0]: (m.subject, m.body) for m in mail.outbox}
        assert sent == {
            "clerk@example.gov.cn": ("Probe en 42", "Body en"),
            "sup@example.gov.cn": ("Probe zh-hans 42", "Body zh-hans"),
        }
        assert Notification.objects.count() == 3

    def test_email_carries_the_full_link_when_the_site_url_is_known(
        self, email_on, clerk, language_probe, django_capture_on_commit_callbacks
    ):
        email_on.XIAONENG_SITE_URL = "https://xn.example.gov.cn/"
        clerk.email = "clerk@example.gov.cn"
        clerk.save()
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[clerk], code=language_probe, params={"number": 1}, url="/c/1/")
        assert mail.outbox[0].body.endswith("\n\nhttps://xn.example.gov.cn/c/1/")

    def test_a_mail_failure_does_not_break_the_caller(
        self, email_on, clerk, monkeypatch, django_capture_on_commit_callbacks
    ):
        def broken(*args, **kwargs):
            raise OSError("mail server down")

        monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
        clerk.email = "clerk@example.gov.cn"
        clerk.save()
        with django_capture_on_commit_callbacks(execute=True):
            assert notify(recipients=[clerk], code="system.test") == 1
        assert Notification.objects.count() == 1


class TestMarkRead:
    def test_marks_own_notification_read(self, clerk):
        notification = NotificationFactory(recipient=clerk)
        notification_mark_read(user=clerk, notification=notification)
        notification.refresh_from_db()
        assert notification.read_at is not None

    def test_marking_again_keeps_the_first_time(self, clerk):
        first = timezone.now() - timezone.timedelta(days=1)
        notification = NotificationFactory(recipient=clerk, read_at=first)
        notification_mark_read(user=clerk, notification=notification)
        notification.refresh_from_db()
        assert notification.read_at == first

    def test_someone_elses_notification_is_refused_and_unchanged(self, clerk, supervisor):
        notification = NotificationFactory(recipient=supervisor)
        with pytest.raises(PermissionDenied):
            notification_mark_read(user=clerk, notification=notification)
        notification.refresh_from_db()
        assert notification.read_at is None

    def test_mark_all_read_touches_only_own_unread(self, clerk, supervisor):
        mine = NotificationFactory.create_batch(3, recipient=clerk)
        earlier = timezone.now() - timezone.timedelta(days=1)
        already = NotificationFactory(recipient=clerk, read_at=earlier)
        theirs = NotificationFactory(recipient=supervisor)
        assert notification_mark_all_read(user=clerk) == 3
        assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
        assert Notification.objects.get(pk=already.pk).read_at == earlier
        assert Notification.objects.get(pk=theirs.pk).read_at is None
