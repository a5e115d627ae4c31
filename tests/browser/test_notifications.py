"""The inbox in a real browser: the bell's badge, marking one item read in place (HTMX),
opening an item (marks it read and follows its link), and the badge going away."""

import re

from playwright.sync_api import expect

from xiaoneng.notifications.models import Notification
from xiaoneng.notifications.services import notify


def test_inbox_badge_mark_read_in_place_and_open(page, live_server, login, snap, clerk, password):
    notify(recipients=[clerk], code="org.account.created", params={"username": "clerk"}, url="/")
    notify(recipients=[clerk], code="system.test")
    login(page, live_server, clerk, password)

    bell = page.get_by_test_id("inbox-link")
    expect(bell.locator(".badge")).to_have_text("2")
    bell.click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(2)
    expect(page.get_by_test_id("inbox-unread-count")).to_contain_text("2")
    snap("inbox")

    # Mark the newest (the test message) read: swapped in place, no page load.
    page.evaluate("window.__sameDocument = true")
    newest = page.locator("[data-testid='notification'][data-code='system.test']")
    newest.get_by_test_id("notification-mark-read").click()
    expect(newest).to_have_attribute("data-read", "true")
    expect(page.get_by_test_id("inbox-unread-count")).to_contain_text("1")
    expect(bell.locator(".badge")).to_have_text("1")
    assert page.evaluate("window.__sameDocument") is True
    snap("one-read")
    assert Notification.objects.filter(recipient=clerk, read_at__isnull=True).count() == 1

    # Open the welcome message: marked read, and the browser follows its link (home).
    page.locator("[data-code='org.account.created']").get_by_test_id("notification-open").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("inbox-link").locator(".badge")).to_have_count(0)
    assert Notification.objects.filter(recipient=clerk, read_at__isnull=True).count() == 0
