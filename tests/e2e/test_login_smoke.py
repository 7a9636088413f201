from tests.factories import PASSWORD, make_mechanic


def test_mechanic_login_lands_on_dashboard(transactional_db, live_server, new_page, login):
    make_mechanic("mike")
    page = new_page()
    login(page, "mike", PASSWORD)
    assert page.url.endswith("/mechanic/dashboard/")
