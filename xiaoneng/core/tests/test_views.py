import pytest


@pytest.mark.django_db
def test_switching_language_is_remembered_on_the_account(client, clerk):
    client.force_login(clerk)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.language == "en"
    assert client.get("/i18n/setlang/").status_code == 405


@pytest.mark.django_db
class TestHome:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_home_states_the_scope_of_each_role(self, client, clerk, leader, handler_a, auditadmin):
        expected = {
            clerk: "The records of every unit; you can act on them.",
            leader: "The records of every unit, read-only.",
            handler_a: "The records of your own unit(s).",
            auditadmin: "No business records: your role manages the system itself.",
        }
        for user, text in expected.items():
            client.force_login(user)
            response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
            assert text in response.content.decode()

    def test_unknown_page_is_a_friendly_404(self, client, clerk):
        client.force_login(clerk)
        response = client.get("/no-such-page/")
        assert response.status_code == 404
