"""Sending a release message: who may, to whom, once, over e-mail and a chat webhook."""

import html
import json
import re
import uuid

import pytest
from django.core import mail
from django.db import DatabaseError, transaction
from django.urls import reverse

from releasehub.accounts.models import User
from releasehub.audit.models import TimelineEvent
from releasehub.comms.models import Audience, Message, MessageKind, MessageTemplate
from releasehub.comms.services import CommsError, message_send
from releasehub.notify import services as notify
from releasehub.notify.models import Channel, DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.notify.tasks import deliver
from releasehub.releases.models import Release
from tests.comms.conftest import ChatServer

pytestmark = pytest.mark.django_db


def _post(client, release, **overrides):
    audiences = overrides.pop("audiences", None) or [
        a.pk for a in Audience.objects.filter(name__in=["Support", "Ops"])
    ]
    data = {
        "kind": "announcement",
        "token": str(uuid.uuid4()),
        "subject": "Release 2026.12.02 completed",
        "body": "Release 2026.12.02 completed at 11:50 IST.",
        "audiences": audiences,
        **overrides,
    }
    return client.post(reverse("comms:send", args=[release.code]), data), data


def test_compose_renders_the_template_from_the_release(client, cast, completed_release):
    client.force_login(cast["asha"])
    url = reverse("comms:compose", args=[completed_release.code]) + "?kind=announcement"
    page = client.get(url).content.decode()
    assert "Release 2026.12.02 completed at Wed 02 Dec 2026, 11:50 IST." in page
    assert 'name="token"' in page


def test_the_rm_sends_the_announcement_by_email_to_support_and_ops(
    client, cast, completed_release, django_capture_on_commit_callbacks
):
    client.force_login(cast["asha"])
    with django_capture_on_commit_callbacks(execute=False):
        answer, _ = _post(client, completed_release)
    assert answer.status_code == 302
    message = Message.objects.get()
    assert message.kind == MessageKind.ANNOUNCEMENT and message.sent_by == cast["asha"]
    rows = list(Outbox.objects.filter(message=message).order_by("recipient"))
    # Support = the support role (Divya); Ops = SRE (Kiran). Nothing is delivered in the request.
    assert [(r.channel, r.recipient, r.status) for r in rows] == [
        ("email", "divya@example.com", "pending"),
        ("email", "kiran@example.com", "pending"),
    ]
    for row in rows:
        notify.outbox_deliver(row.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["divya@example.com", "kiran@example.com"]
    assert mail.outbox[0].subject == "Release 2026.12.02 completed"
    assert mail.outbox[0].body == "Release 2026.12.02 completed at 11:50 IST."
    event = TimelineEvent.objects.get(verb="comms.sent")
    assert event.release_id == completed_release.pk and "Support, Ops" in event.summary


def test_a_double_click_sends_once(client, cast, completed_release):
    client.force_login(cast["asha"])
    first, data = _post(client, completed_release)
    again = client.post(reverse("comms:send", args=[completed_release.code]), data, follow=True)
    assert first.status_code == 302 and again.status_code == 200
    assert "already sent" in again.content.decode()
    assert Message.objects.count() == 1
    assert Outbox.objects.count() == 2


def test_a_retried_delivery_task_sends_once(client, cast, completed_release):
    client.force_login(cast["asha"])
    _post(client, completed_release)
    row = Outbox.objects.filter(recipient="divya@example.com").get()
    deliver(row.pk)
    deliver(row.pk)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("who", "kind", "status"),
    [("priya", "announcement", 403), ("arjun", "heads_up", 403), ("kiran", "announcement", 403)],
)
def test_only_the_rm_sends_release_messages(client, cast, completed_release, who, kind, status):
    client.force_login(cast[who])
    answer, _ = _post(client, completed_release, kind=kind)
    assert answer.status_code == status
    assert not Message.objects.exists() and not Outbox.objects.exists()


def test_sre_may_send_the_hotfix_notice_but_only_for_a_hotfix(client, cast, completed_release):
    client.force_login(cast["kiran"])
    answer, _ = _post(client, completed_release, kind="hotfix")
    assert answer.status_code == 302 and not Message.objects.exists()
    assert "hotfix release only" in client.get(answer["Location"]).content.decode()
    Release.objects.filter(pk=completed_release.pk).update(kind="hotfix", status="deploying")
    completed_release.refresh_from_db()
    answer, _ = _post(client, completed_release, kind="hotfix")
    assert answer.status_code == 302
    assert Message.objects.get().kind == "hotfix"


S = Release.Status


@pytest.mark.parametrize(
    ("kind", "status", "completed", "reason"),
    [
        ("announcement", S.ROLLED_BACK, True, "was rolled back: there is no completion"),
        ("announcement", S.ROLLED_BACK, False, "was rolled back: there is no completion"),
        ("announcement", S.VERIFYING, False, "it has not completed yet"),
        ("hotfix", S.PLANNED, False, "it is not deploying"),
        ("hotfix", S.COMPLETED, True, "it is not deploying"),
    ],
)
def test_a_message_whose_facts_do_not_hold_is_refused_with_the_reason_and_nothing_is_sent(
    client, cast, completed_release, kind, status, completed, reason
):
    Release.objects.filter(pk=completed_release.pk).update(
        status=status,
        completed_at=completed_release.completed_at if completed else None,
        kind="hotfix" if kind == "hotfix" else "regular",
    )
    client.force_login(cast["asha"])
    compose = reverse("comms:compose", args=[completed_release.code]) + f"?kind={kind}"
    for request in (
        lambda: client.get(compose),
        lambda: _post(client, completed_release, kind=kind)[0],
    ):
        answer = request()
        assert answer.status_code == 302
        assert answer["Location"] == reverse("comms:release", args=[completed_release.code])
        page = client.get(answer["Location"]).content.decode()
        (error,) = re.findall(r'<li class="message error">(.*?)</li>', page)
        assert reason in html.unescape(error)
        assert f"?kind={kind}" not in page  # not offered either
    assert not Message.objects.exists() and not Outbox.objects.exists()
    with pytest.raises(CommsError, match=reason):
        message_send(
            release=Release.objects.get(pk=completed_release.pk),
            actor=cast["asha"],
            kind=kind,
            subject="s",
            body="b",
            audiences=list(Audience.objects.filter(name="Support")),
            token=uuid.uuid4(),
        )


def test_a_template_using_a_fact_the_release_lacks_is_not_rendered_as_not_yet(
    client, cast, completed_release
):
    """An edited heads-up that says when the release completed cannot go out before it has."""
    MessageTemplate.objects.filter(kind="heads_up").update(body="Done at {completed_at}.")
    Release.objects.filter(pk=completed_release.pk).update(status=S.FROZEN, completed_at=None)
    client.force_login(cast["asha"])
    url = reverse("comms:compose", args=[completed_release.code]) + "?kind=heads_up"
    answer = client.get(url, follow=True)
    page = html.unescape(answer.content.decode())
    assert "(not yet)" not in page
    assert "{completed_at} needs a completed release" in page
    assert not Message.objects.exists()


def test_no_audience_is_a_message_not_a_send(client, cast, completed_release):
    client.force_login(cast["asha"])
    answer, data = _post(client, completed_release, audiences=["x"])
    assert answer.status_code == 400
    data.pop("audiences")
    answer = client.post(reverse("comms:send", args=[completed_release.code]), data)
    assert answer.status_code == 400 and "Choose at least one audience" in answer.content.decode()
    assert not Message.objects.exists()


def test_everyone_and_squad_audiences_reach_their_people(client, cast, completed_release):
    client.force_login(cast["asha"])
    _post(client, completed_release, audiences=[Audience.objects.get(name="Patient squad").pk])
    assert list(Outbox.objects.values_list("recipient", flat=True)) == ["priya@example.com"]
    _post(client, completed_release, audiences=[Audience.objects.get(name="Everyone").pk])
    everyone = Outbox.objects.filter(message=Message.objects.latest("id"))
    assert set(everyone.values_list("recipient", flat=True)) == {
        u.email for u in User.objects.filter(is_active=True)
    }


def test_a_sent_message_is_append_only(client, cast, completed_release):
    client.force_login(cast["asha"])
    _post(client, completed_release)
    with pytest.raises(DatabaseError), transaction.atomic():
        Message.objects.update(body="rewritten")


def test_chat_delivery_posts_slack_json_retries_a_failure_and_logs_both(
    client, cast, completed_release
):
    with ChatServer(answers=[500, 200]) as server:
        Audience.objects.filter(name="Ops").update(webhook_url=server.url)
        client.force_login(cast["asha"])
        _post(client, completed_release, body="Key updates: PAT-101")
        row = Outbox.objects.get(channel=Channel.CHAT)
        assert row.recipient == server.url
        deliver.apply(args=[row.pk])  # eager: Celery runs the retry in place
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2
    assert server.bodies == [
        {"text": "*Release 2026.12.02 completed*\nKey updates: PAT-101"},
        {"text": "*Release 2026.12.02 completed*\nKey updates: PAT-101"},
    ]
    assert server.paths == ["/services/T000/B000/secret"] * 2
    attempts = list(DeliveryAttempt.objects.filter(outbox=row))
    assert [a.ok for a in attempts] == [False, True]
    assert "500" in attempts[0].error
    page = client.get(reverse("comms:release", args=[completed_release.code])).content.decode()
    assert "webhook 127.0.0.1" in page and "secret" not in page


def test_a_chat_webhook_that_times_out_is_retried_and_the_failure_is_visible(
    client, cast, completed_release, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    with ChatServer(answers=[200], delay=1.0) as server:
        Audience.objects.filter(name="Support").update(webhook_url=server.url)
        client.force_login(cast["asha"])
        _post(client, completed_release)
        row = Outbox.objects.get(channel=Channel.CHAT)
        with pytest.raises(notify.DeliveryFailed):
            notify.outbox_deliver(row.pk)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert "timed out" in row.last_error
    page = client.get(reverse("comms:release", args=[completed_release.code])).content.decode()
    assert "timed out" in page
    assert json.loads(json.dumps(server.bodies))[0]["text"].startswith("*Release")


def test_preview_shows_the_edited_text_as_a_fragment_or_the_page(client, cast, completed_release):
    client.force_login(cast["asha"])
    url = reverse("comms:preview", args=[completed_release.code])
    data = {"kind": "announcement", "token": str(uuid.uuid4()), "subject": "S", "body": "Edited"}
    fragment = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert fragment.strip().startswith('<section id="message-preview"') and "Edited" in fragment
    page = client.post(url, data).content.decode()
    assert "<form" in page and "Edited" in page
    assert not Message.objects.exists()


def test_compose_refuses_other_roles_and_unknown_kinds(client, cast, completed_release):
    url = reverse("comms:compose", args=[completed_release.code])
    client.force_login(cast["priya"])
    assert client.get(url + "?kind=announcement").status_code == 403
    client.force_login(cast["asha"])
    assert client.get(url + "?kind=bogus").status_code == 404
    assert client.get(url).status_code == 404
