"""Issue 19, item 6 (admin): accessible names in the role-assignment inline, help texts that say
what ordering and templates do, and the site's own name in the header."""

import re

import pytest

from releasehub.accounts.models import Role
from tests.factories import UserFactory, user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def _controls(html: str, name_pattern: str) -> list[str]:
    return re.findall(rf'<(?:select|input)[^>]*name="{name_pattern}"[^>]*>', html)


def test_the_role_inline_names_each_select_and_delete_box(staff_client):
    person = user_with(Role.SQUAD_REP, "patient")
    html = staff_client.get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    for field, label in [("role", "Role"), ("squad", "Squad"), ("DELETE", "Delete")]:
        controls = _controls(html, rf"role_assignments-(?:\d+|__prefix__)-{field}")
        assert controls, field
        for control in controls:
            assert re.search(rf'aria-label="{label}, assignment (\d+|new)"', control), control
    # The saved assignment is the first; the extra form and the template are "new".
    assert 'aria-label="Role, assignment 1"' in html


def test_the_admin_says_releasehub_administration(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert "ReleaseHub administration" in html
    assert "Django administration" not in html
    assert "<title>Site administration | ReleaseHub admin</title>" in html


@pytest.mark.parametrize(
    "path, says",
    [
        ("/admin/catalog/service/add/", "release day promotes services in this order"),
        ("/admin/comms/messagetemplate/add/", "{version}"),
        ("/admin/comms/messagetemplate/add/", "already sent keep their text"),
        ("/admin/readiness/checklisttemplateitem/add/", "releases already created keep"),
        ("/admin/readiness/checklisttemplateitem/add/", "order within its phase"),
    ],
)
def test_help_texts_say_what_ordering_and_templates_do(staff_client, path, says):
    assert says in staff_client.get(path).content.decode()
