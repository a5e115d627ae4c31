"""The foundation's main journeys in a real browser: signing in, the role-filtered menu,
hidden screens answering 404, the language switch, the audit log and the phone layout."""

import re

from django.utils import translation
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def main_nav(page):
    return page.get_by_test_id("main-nav")


def expect_404_page(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("404")


def switch_language(page, code):
    with page.expect_navigation():
        page.get_by_test_id("language-select").select_option(code)
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.get_by_test_id("language-select")).to_have_value(code)


def test_clerk_menu_hidden_screens_and_language_switch(page, live_server, login, clerk, password):
    login(page, live_server, clerk, password)
    expect(page).to_have_url(f"{live_server.url}/")

    # The menu offers what an intake clerk may open (checked by link, in any language).
    menu = main_nav(page)
    expect(menu).to_be_visible()
    expect(menu.locator('a[href^="/calendar/"]')).to_have_count(1)  # working-day calendar
    expect(menu.locator('a[href^="/org/"]')).to_have_count(0)  # units, accounts
    expect(menu.locator('a[href^="/audit/"]')).to_have_count(0)
    expect(menu.locator('a[href^="/accounts/"]')).to_have_count(0)  # security policy
    expect(page.locator("button.navbar-toggler")).to_be_hidden()  # desktop: no hamburger

    # Screens outside the role answer with the ordinary 404 page.
    expect_404_page(page, f"{live_server.url}/audit/")
    expect_404_page(page, f"{live_server.url}/org/units/")

    # English, by the language select in the top bar.
    page.goto(f"{live_server.url}/")
    switch_language(page, "en")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(menu.get_by_role("link", name="Home")).to_be_visible()
    expect(menu.get_by_role("link", name="Working-day calendar")).to_be_visible()
    for hidden in ("Units", "Accounts", "Audit log", "Security policy"):
        expect(menu.get_by_role("link", name=hidden)).to_have_count(0)
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("logout")).to_have_text("Log out")

    # And back to Simplified Chinese.
    switch_language(page, "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # LEAD: the one assertion on Chinese wording ("Home" is 首页). It holds today through
    # Django's own admin catalogue and must keep holding with locale/zh_Hans.
    expect(menu.locator('a[href="/"]')).to_contain_text("首页")


def test_audit_admin_reads_the_log_and_a_handler_cannot(
    page, live_server, login, auditadmin, handler_a, password
):
    from xiaoneng.audit.actions import action_label

    login(page, live_server, auditadmin, password)
    main_nav(page).locator('a[href="/audit/"]').click()  # "Audit log"
    expect(page).to_have_url(re.compile(r"/audit/$"))
    table = page.locator("main table")
    expect(table).to_be_visible()
    with translation.override(page.locator("html").get_attribute("lang")):
        label = action_label("auth.login")
    own_login = (
        table.locator("tbody tr")
        .filter(has_text=re.compile(rf"{re.escape(label)}|auth\.login"))
        .filter(has_text=re.compile(rf"{re.escape(auditadmin.name)}|{auditadmin.username}"))
    )
    expect(own_login.first).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server, handler_a, password)
    expect(main_nav(page).locator('a[href^="/audit/"]')).to_have_count(0)
    expect_404_page(page, f"{live_server.url}/audit/")


def test_phone_layout_puts_the_menu_behind_the_toggler(page, live_server, login, clerk, password):
    page.set_viewport_size(PHONE)
    login(page, live_server, clerk, password)
    menu = main_nav(page)
    toggler = page.locator("button.navbar-toggler[aria-controls='xn-sidebar']")
    expect(toggler).to_be_visible()
    expect(menu).to_be_hidden()

    toggler.click()
    expect(page.locator("#xn-sidebar")).to_have_class(re.compile(r"\bshow\b"))
    expect(menu).to_be_visible()
    expect(menu.locator('a[href="/"]')).to_be_visible()
    expect(menu.locator('a[href^="/calendar/"]')).to_be_visible()
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
