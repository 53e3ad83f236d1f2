import pytest

pytestmark = [
    pytest.mark.clock,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_demo_release_manager_logs_in_and_sees_the_dashboard(page, demo_data):
    page.login("asha")
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert "Release Manager" in page.locator("header").inner_text()
    assert "IST" in page.locator("[data-ist-clock]").inner_text()


def test_a_wrong_password_is_shown_on_the_form(page, demo_data):
    page.login("asha", password="wrong")
    assert page.get_by_role("alert").inner_text().startswith("Your username and password")
