"""Checklists: copied from templates once, items updated by new rows, computed items computed."""

import pytest
from django.core.exceptions import PermissionDenied

from releasehub.audit.timeline import record_event
from releasehub.readiness.computed import REGISTRY, compute
from releasehub.readiness.errors import ReadinessError
from releasehub.readiness.models import (
    ChecklistItem,
    ChecklistItemUpdate,
    ChecklistTemplateItem,
    ItemState,
    Phase,
)
from releasehub.readiness.panels import go_no_go_state
from releasehub.readiness.selectors import readiness_page
from releasehub.readiness.services.checklists import (
    checklist_item_assign,
    checklist_item_update,
    checklists_create_for,
)
from releasehub.readiness.services.qa import regression_record
from tests.factories import ReleaseFactory, readiness_reference_data
from tests.readiness.conftest import complete_pre_release

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def _item(release, text_start: str) -> ChecklistItem:
    return ChecklistItem.objects.get(release=release, text__startswith=text_start)


def test_templates_hold_the_runbooks_items_with_owner_roles():
    texts = list(ChecklistTemplateItem.objects.values_list("phase", "text", "owner_role"))
    assert len(texts) == 19
    assert ("smoke", "Booking flow", "qa_lead") in texts
    assert ("pre_release", "Rollback plan defined for each service/app change", "sre") in texts
    assert {p for p, _, _ in texts} == {"pre_release", "meeting", "smoke", "post_release"}


def test_a_release_copies_the_templates_once(cast):
    release = ReleaseFactory()
    first = checklists_create_for(release)
    again = checklists_create_for(release)
    assert len(first) == len(again) == ChecklistTemplateItem.objects.count()
    assert ChecklistItem.objects.filter(release=release).count() == len(first)


def test_editing_a_template_later_does_not_rewrite_a_releases_checklist(release):
    template = ChecklistTemplateItem.objects.get(phase=Phase.SMOKE, position=1)
    template.text = "Booking and payment flow"
    template.save()
    assert ChecklistItem.objects.filter(release=release, text="Booking flow").exists()
    assert not ChecklistItem.objects.filter(release=release, text=template.text).exists()


def test_an_item_update_is_a_new_row_and_the_latest_is_current(release, cast):
    item = _item(release, "Release notes")
    first = checklist_item_update(item=item, actor=cast["asha"], state="blocked", reason="x")
    second = checklist_item_update(
        item=item, actor=cast["asha"], state="done", evidence="https://example.com/changelog"
    )
    assert second.supersedes == first
    assert ChecklistItemUpdate.objects.filter(item=item).count() == 2
    row = next(r for r in go_no_go_state(release).pre_release if r.item == item)
    assert row.state == ItemState.DONE
    assert row.current.actor == cast["asha"] and row.current.at is not None


@pytest.mark.parametrize("state", ["blocked", "not_applicable"])
def test_blocked_and_not_applicable_need_a_reason(release, cast, state):
    item = _item(release, "Release notes")
    with pytest.raises(ReadinessError, match="reason"):
        checklist_item_update(item=item, actor=cast["asha"], state=state, reason="  ")
    assert not ChecklistItemUpdate.objects.exists()


def test_owner_role_may_update_their_item_and_others_may_not(release, cast):
    infra = _item(release, "SRE verified")
    checklist_item_update(item=infra, actor=cast["kiran"], state="done")
    with pytest.raises(PermissionDenied):
        checklist_item_update(item=infra, actor=cast["priya"], state="done")
    with pytest.raises(PermissionDenied):
        checklist_item_update(item=infra, actor=cast["neha"], state="done")
    assert ChecklistItemUpdate.objects.count() == 1


def test_a_named_owner_may_update_the_item(release, cast):
    item = _item(release, "SRE verified")
    checklist_item_assign(item=item, actor=cast["asha"], owner=cast["kiran"])
    item.refresh_from_db()
    assert item.owner == cast["kiran"]
    with pytest.raises(ReadinessError, match="not a"):
        checklist_item_assign(item=item, actor=cast["asha"], owner=cast["priya"])
    with pytest.raises(PermissionDenied):
        checklist_item_assign(item=item, actor=cast["kiran"], owner=cast["kiran"])


def test_computed_items_cannot_be_ticked(release, cast):
    item = _item(release, "All tickets tagged")
    with pytest.raises(ReadinessError, match="computed"):
        checklist_item_update(item=item, actor=cast["asha"], state="done")


def test_smoke_items_are_not_ticked_as_checklist_items(release, cast):
    item = _item(release, "Booking flow")
    with pytest.raises(ReadinessError, match="QA Lead"):
        checklist_item_update(item=item, actor=cast["neha"], state="done")


def test_computed_keys_are_registered():
    assert {"scope_merged_ci", "rollback_plans", "regression_logged"} <= set(REGISTRY)


def test_an_unknown_computed_key_is_not_computable_not_an_error(release):
    result = compute("no_such_rule", release)
    assert result.done is False and "Not computable yet" in result.detail


def test_tickets_merged_and_passing_ci_is_computed_from_the_scope(release, cast):
    from releasehub.releases.models import ScopeTicket

    squad = cast["priya"].squads[0]
    assert compute("scope_merged_ci", release).done is True  # empty scope
    ScopeTicket.objects.create(
        release=release, key="PAT-1", title="t", squad=squad, added_by=cast["priya"]
    )
    result = compute("scope_merged_ci", release)
    assert result.done is False and "PAT-1" in result.detail
    ScopeTicket.objects.filter(key="PAT-1").update(merged=True, ci_passing=True)
    assert compute("scope_merged_ci", release).done is True


def test_rollback_plan_for_each_change_is_computed_from_the_plans(release, cast):
    from django.utils import timezone

    from releasehub.catalog.models import Service
    from releasehub.releases.models import RollbackPlan, ScopeTicket

    payments = Service.objects.get(slug="payments")
    ticket = ScopeTicket.objects.create(
        release=release, key="PAY-1", title="t", squad=cast["dev"].squads[0], added_by=cast["dev"]
    )
    ticket.services.add(payments)
    result = compute("rollback_plans", release)
    assert result.done is False and "Payments" in result.detail
    RollbackPlan.objects.create(
        release=release,
        service=payments,
        strategy="redeploy_container",
        previous="v1",
        steps="redeploy",
        updated_by=cast["kiran"],
        updated_at=timezone.now(),
    )
    assert compute("rollback_plans", release).done is True


def test_regression_item_is_computed_from_the_logged_suites(release, cast):
    assert compute("regression_logged", release).done is False
    complete_pre_release(release, cast)
    assert compute("regression_logged", release).done is True
    regression_record(
        release=release, actor=cast["neha"], suite="e2e", passed=9, failed=1, skipped=0
    )
    result = compute("regression_logged", release)
    assert result.done is False and "End-to-end (1 failed)" in result.detail


def test_the_pre_release_checklist_is_complete_when_every_item_is_done(release, cast):
    assert not go_no_go_state(release).pre_release_complete
    complete_pre_release(release, cast)
    state = go_no_go_state(release)
    assert state.pre_release_complete, [r.item.text for r in state.open_pre_release]


def test_not_applicable_counts_as_complete(release, cast):
    complete_pre_release(release, cast)
    checklist_item_update(
        item=_item(release, "Feature flags"),
        actor=cast["asha"],
        state="not_applicable",
        reason="none",
    )
    assert go_no_go_state(release).pre_release_complete


def test_a_scope_event_does_not_touch_checklists(release, cast):
    record_event(verb="scope.ticket_added", target=release, release=release, summary="x")
    assert len(readiness_page(release).checklists[Phase.POST_RELEASE]) == 4


def test_templates_are_reseeded_idempotently():
    readiness_reference_data()
    readiness_reference_data()
    assert ChecklistTemplateItem.objects.count() == 19


def test_staff_edit_templates_in_the_admin(admin_client):
    response = admin_client.get("/admin/readiness/checklisttemplateitem/")
    assert response.status_code == 200 and b"Booking flow" in response.content
