"""Release messages (compose, preview, send), message templates and the changelog."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import User
from releasehub.comms import changelog, selectors, services
from releasehub.comms.forms import ComposeForm, TemplateForm
from releasehub.comms.models import (
    PLACEHOLDERS,
    Audience,
    AudienceKind,
    MessageKind,
    MessageTemplate,
)
from releasehub.comms.placeholders import FactNotYet, load
from releasehub.comms.placeholders import render as render_template
from releasehub.core.http import AuthedRequest
from releasehub.core.pagination import paginate
from releasehub.notify.selectors import deliveries_for_release
from releasehub.releases.access import is_rm, release_for
from releasehub.releases.models import Release

COMPOSE = "comms/compose.html"
CHANGELOG_PER_PAGE = 25  # releases per changelog page


def _kind(value: str | None) -> MessageKind:
    if value not in MessageKind.values:
        raise Http404("No such message kind")
    return MessageKind(value)


def _get_release_to_message(request: AuthedRequest, code, kind: MessageKind) -> Release:
    return release_for(request, code, may=lambda user: selectors.may_send(user, kind))


def _not_yet(request: AuthedRequest, release: Release, kind: MessageKind, why: str):
    """A message that would state what is not true yet: back to the release's communications,
    with the reason; nothing is written."""
    messages.error(request, f"{kind.label} not sent: {why}")
    return redirect("comms:release", release.code)


def edits_templates(user: User) -> bool:
    return user.is_staff or is_rm(user)


def _get_template_for(request: AuthedRequest, kind: str, edit: bool = False) -> MessageTemplate:
    template = MessageTemplate.objects.filter(kind=_kind(kind)).first()
    if template is None:
        raise Http404("No such template")
    if edit and not edits_templates(request.user):
        raise PermissionDenied("Only the Release Manager or staff edit message templates.")
    return template


# The release's communications ---------------------------------------------------------------


@require_GET
@login_required
def release_comms(request: AuthedRequest, code) -> HttpResponse:
    release = release_for(request, code)
    context = {
        "release": release,
        "comms": selectors.release_comms(release, request.user),
        "deliveries": deliveries_for_release(release),
    }
    return render(request, "comms/release.html", context)


def _compose_page(request, release, kind, form, status=200, fragment=False) -> HttpResponse:
    template = f"{COMPOSE}#message-preview" if fragment else COMPOSE
    data = form.data if form.is_bound else form.initial
    context = {
        "release": release,
        "kind": kind,
        "form": form,
        "preview_subject": data.get("subject", ""),
        "preview_body": data.get("body", ""),
    }
    return render(request, template, context, status=status)


@require_GET
@login_required
def compose(request: AuthedRequest, code) -> HttpResponse:
    kind = _kind(request.GET.get("kind"))
    release = _get_release_to_message(request, code, kind)
    if why := selectors.send_refusal(release, kind):
        return _not_yet(request, release, kind, why)
    try:
        subject, body = render_template(_get_template_for(request, kind), load(release))
    except FactNotYet as exc:
        return _not_yet(request, release, kind, str(exc))
    usual = Audience.objects.filter(active=True, kind__in=[AudienceKind.SUPPORT, AudienceKind.OPS])
    form = ComposeForm(
        initial={
            "kind": kind,
            "token": uuid.uuid4(),
            "subject": subject,
            "body": body,
            "audiences": list(usual),
        }
    )
    return _compose_page(request, release, kind, form)


@require_POST
@login_required
def preview(request: AuthedRequest, code) -> HttpResponse:
    kind = _kind(request.POST.get("kind"))
    release = _get_release_to_message(request, code, kind)
    form = ComposeForm(request.POST)
    return _compose_page(request, release, kind, form, fragment=bool(request.htmx))


@require_POST
@login_required
def send(request: AuthedRequest, code) -> HttpResponse:
    kind = _kind(request.POST.get("kind"))
    release = _get_release_to_message(request, code, kind)
    form = ComposeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            message, created = services.message_send(
                release=release,
                actor=request.user,
                kind=kind,
                subject=data["subject"],
                body=data["body"],
                audiences=list(data["audiences"]),
                token=data["token"],
            )
        except services.FactsNotYet as exc:
            return _not_yet(request, release, kind, str(exc))
        except services.CommsError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, f"{message.get_kind_display()} sent.")
            else:
                messages.info(request, "That message was already sent; it was not sent again.")
            return redirect(reverse("comms:release", args=[release.code]) + "#delivery-log")
    return _compose_page(request, release, kind, form, status=400)


# Message templates --------------------------------------------------------------------------


@require_GET
@login_required
def template_list(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "comms/templates.html",
        {
            "templates": MessageTemplate.objects.all(),
            "can_edit": edits_templates(request.user),
            "placeholders": _placeholders(),
        },
    )


def _placeholders() -> list[tuple[str, str]]:
    return list(PLACEHOLDERS.items())


@require_GET
@login_required
def template_edit(request: AuthedRequest, kind: str) -> HttpResponse:
    template = _get_template_for(request, kind, edit=True)
    return _template_page(request, template, TemplateForm(instance=template))


def _template_page(request, template, form, status=200) -> HttpResponse:
    context = {"template": template, "form": form, "placeholders": _placeholders()}
    return render(request, "comms/template_edit.html", context, status=status)


@require_POST
@login_required
def template_save(request: AuthedRequest, kind: str) -> HttpResponse:
    template = _get_template_for(request, kind, edit=True)
    form = TemplateForm(request.POST, instance=MessageTemplate.objects.get(pk=template.pk))
    if not form.is_valid():
        return _template_page(request, template, form, status=400)
    services.template_update(
        template=template,
        actor=request.user,
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
    )
    messages.success(request, f"Template saved: {template.get_kind_display()}.")
    return redirect("comms:templates")


# Changelog ----------------------------------------------------------------------------------


def _markdown(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@login_required
def changelog_entry(request: AuthedRequest, code) -> HttpResponse:
    release = release_for(request, code)
    context = {
        "release": release,
        "markdown": changelog.release_entry(release),
        "final": changelog.is_final(release),
    }
    return render(request, "comms/changelog_entry.html", context)


@require_GET
@login_required
def changelog_entry_download(request: AuthedRequest, code) -> HttpResponse:
    release = release_for(request, code)
    return _markdown(changelog.release_entry(release), f"changelog-{release.version}.md")


@require_GET
@login_required
def changelog_page(request: AuthedRequest) -> HttpResponse:
    pager = paginate(request, changelog.released(), CHANGELOG_PER_PAGE, label="Changelog pages")
    markdown = "\n".join(changelog.entry(r) for r in pager.page)
    if pager.page.number == 1:
        markdown = changelog.HEADER + "\n" + markdown
    return render(request, "comms/changelog.html", {"markdown": markdown, "pager": pager})


@require_GET
@login_required
def changelog_download(request: AuthedRequest) -> HttpResponse:
    return _markdown(changelog.whole(), "changelog.md")
