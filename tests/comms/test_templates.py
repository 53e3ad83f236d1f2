"""Message templates: the runbook's three, seeded, editable, with named placeholders only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from releasehub.comms.models import PLACEHOLDERS, MessageKind, MessageTemplate
from releasehub.comms.placeholders import load, render

pytestmark = pytest.mark.django_db


def test_the_runbooks_three_templates_are_seeded(cast):
    assert set(MessageTemplate.objects.values_list("kind", flat=True)) == set(MessageKind.values)
    hotfix = MessageTemplate.objects.get(kind=MessageKind.HOTFIX)
    assert "{hotfix_id}" in hotfix.body and "{affected_service}" in hotfix.body


def test_a_template_with_an_unknown_placeholder_is_refused_with_the_known_ones(cast):
    template = MessageTemplate.objects.get(kind=MessageKind.ANNOUNCEMENT)
    template.body = "Release {version} done. Owner: {release_owner}"
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    text = " ".join(refused.value.message_dict["body"])
    assert "{release_owner}" in text
    assert all("{" + name + "}" in text for name in PLACEHOLDERS)


def test_the_rm_saves_a_template_and_an_unknown_placeholder_writes_nothing(client, cast):
    client.force_login(cast["asha"])
    url = reverse("comms:template_save", args=["heads_up"])
    refused = client.post(url, {"subject": "Release {version}", "body": "At {when}"})
    assert refused.status_code == 400
    assert "Unknown placeholder {when}" in refused.content.decode()
    assert "{code_freeze}" in refused.content.decode()
    assert MessageTemplate.objects.get(kind="heads_up").body.startswith("Release {version}")

    saved = client.post(url, {"subject": "Heads-up: {version}", "body": "On {window}."})
    assert saved.status_code == 302
    template = MessageTemplate.objects.get(kind="heads_up")
    assert (template.subject, template.body, template.updated_by) == (
        "Heads-up: {version}",
        "On {window}.",
        cast["asha"],
    )


def test_only_the_rm_or_staff_edit_templates(client, cast):
    client.force_login(cast["priya"])
    url = reverse("comms:template_save", args=["heads_up"])
    assert client.post(url, {"subject": "x", "body": "y"}).status_code == 403
    assert client.get(reverse("comms:template_edit", args=["heads_up"])).status_code == 403
    assert client.get(reverse("comms:templates")).status_code == 200
    assert client.get(reverse("comms:template_edit", args=["nonsense"])).status_code == 404


def test_the_announcement_is_rendered_from_the_releases_data_in_ist(completed_release):
    subject, body = render(
        MessageTemplate.objects.get(kind="announcement"), load(completed_release)
    )
    assert subject == "Release 2026.12.02 completed"
    # 04:30 UTC + 1h50 = 06:20 UTC = 11:50 IST
    assert "completed at Wed 02 Dec 2026, 11:50 IST" in body
    assert "Doctor:\n- DOC-214 Provider availability cache" in body
    assert "Patient:\n- PAT-101 Reschedule from the booking page" in body
    assert "- Token refresh changes sign-in (mitigation: Canary first)" in body
    assert f"/releases/{completed_release.code}/changelog/" in body


def test_the_heads_up_names_the_window_and_the_freeze_in_ist(completed_release):
    subject, body = render(MessageTemplate.objects.get(kind="heads_up"), load(completed_release))
    assert subject == "Release 2026.12.02 scheduled for Wed 02 Dec 2026, 10:00 IST"
    assert "Code freeze starts Mon 30 Nov 2026, 18:00 IST." in body
    assert "Scope: Bi-weekly release train — 2 tickets (Doctor, Patient)" in body
