import pytest
from django.db import IntegrityError, transaction

from releasehub.accounts.models import Role, RoleAssignment, RotaMember, Squad
from releasehub.accounts.rota import next_release_manager
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_user_may_hold_several_roles():
    user = UserFactory(roles=[Role.SRE, (Role.SQUAD_REP, "patient"), (Role.SQUAD_REP, "doctor")])
    assert user.has_role(Role.SRE)
    assert user.has_role(Role.SQUAD_REP, Squad.objects.get(slug="doctor"))
    assert not user.has_role(Role.SQUAD_REP, Squad.objects.get(slug="admin"))
    assert not user.has_role(Role.RELEASE_MANAGER)
    assert sorted(user.role_labels()) == [
        "SRE / DevOps",
        "Squad Representative (Doctor)",
        "Squad Representative (Patient)",
    ]


def test_squad_rep_needs_a_squad_and_other_roles_refuse_one():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.SQUAD_REP)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.SRE, squad=Squad.objects.first())


def test_the_same_role_cannot_be_assigned_twice():
    user = UserFactory(roles=[Role.SRE])
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.SRE)


def test_rota_hands_each_release_to_the_next_member_and_wraps():
    a, b, c = (UserFactory(roles=[Role.RELEASE_MANAGER]) for _ in range(3))
    for position, user in enumerate([a, b, c], start=1):
        RotaMember.objects.create(user=user, position=position)
    assert next_release_manager(None) == a
    assert next_release_manager(a) == b
    assert next_release_manager(c) == a


def test_rota_skips_inactive_members():
    a, b, c = (UserFactory() for _ in range(3))
    RotaMember.objects.create(user=a, position=1)
    RotaMember.objects.create(user=b, position=2, active=False)
    RotaMember.objects.create(user=c, position=3)
    assert next_release_manager(a) == c


def test_empty_rota_gives_no_manager():
    assert next_release_manager(None) is None


def test_catalog_and_squads_are_seeded_by_migrations():
    from releasehub.catalog.models import FrontendApp, Service

    assert list(Service.objects.values_list("slug", flat=True)) == [
        "identity",
        "providers",
        "appointments",
        "payments",
        "messaging",
        "analytics",
    ]
    assert list(FrontendApp.objects.values_list("slug", flat=True)) == [
        "patient-web",
        "doctor-web",
        "admin-console",
    ]
    assert set(Squad.objects.values_list("name", flat=True)) == {
        "Patient",
        "Doctor",
        "Admin",
        "Shared Services",
    }
