"""The token pages: a person's own tokens at /account/tokens/, staff's integration tokens at
/integrations/tokens/. A new token's secret is shown once, on the page after the POST."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import User
from releasehub.api import forms as token_forms
from releasehub.api.models import ApiToken
from releasehub.api.tokens import token_create_integration, token_create_personal, token_revoke
from releasehub.core.forms import Outcome, attempt
from releasehub.core.http import AuthedRequest

# The new secret waits here between the POST that made it and the one GET that shows it.
NEW_SECRET_KEY = "api.new_secret"
Kind = ApiToken.Kind


def keeps_personal_tokens(user: User) -> bool:
    """Every signed-in person may keep tokens that act as themselves; machines may not."""
    return not user.is_machine


def manages_integrations(user: User) -> bool:
    return bool(user.is_staff)


def _require(request: AuthedRequest, kind: str) -> None:
    if kind == Kind.INTEGRATION and not manages_integrations(request.user):
        raise PermissionDenied("Integration tokens are managed by staff.")
    if kind == Kind.PERSONAL and not keeps_personal_tokens(request.user):
        raise PermissionDenied("Machine users get integration tokens.")


def _listed(request: AuthedRequest, kind: str) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.filter(kind=kind).select_related("created_by", "revoked_by")
    if kind == Kind.PERSONAL:
        return tokens.filter(user=request.user)
    return tokens.prefetch_related("services", "apps")


def _page(request: AuthedRequest, kind: str, form) -> HttpResponse:
    context = {
        "kind": kind,
        "form": form,
        "tokens": _listed(request, kind),
        "secret": request.session.pop(NEW_SECRET_KEY, None),
    }
    return render(request, "api/tokens.html", context)


def _created(request: AuthedRequest, kind: str, outcome: Outcome) -> HttpResponse:
    if not outcome.ok:  # the form shows what is wrong beside what was typed
        return _page(request, kind, outcome.form)
    token, secret = outcome.value
    request.session[NEW_SECRET_KEY] = secret
    messages.success(request, f"Token {token.name} made. Copy its secret now.")
    return redirect("tokens:integrations" if kind == Kind.INTEGRATION else "tokens:personal")


@require_GET
@login_required
def personal(request: AuthedRequest) -> HttpResponse:
    _require(request, Kind.PERSONAL)
    return _page(request, Kind.PERSONAL, token_forms.TokenForm())


@require_POST
@login_required
def personal_create(request: AuthedRequest) -> HttpResponse:
    _require(request, Kind.PERSONAL)

    def act(data: dict) -> tuple[ApiToken, str]:
        return token_create_personal(
            user=request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=form.expires_at(),
        )

    form = token_forms.TokenForm(request.POST)
    return _created(request, Kind.PERSONAL, attempt(form, act))


@require_GET
@login_required
def integrations(request: AuthedRequest) -> HttpResponse:
    _require(request, Kind.INTEGRATION)
    return _page(request, Kind.INTEGRATION, token_forms.IntegrationTokenForm())


@require_POST
@login_required
def integration_create(request: AuthedRequest) -> HttpResponse:
    _require(request, Kind.INTEGRATION)

    def act(data: dict) -> tuple[ApiToken, str]:
        return token_create_integration(
            actor=request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=form.expires_at(),
            services=data["services"],
            apps=data["apps"],
        )

    form = token_forms.IntegrationTokenForm(request.POST)
    return _created(request, Kind.INTEGRATION, attempt(form, act))


def _token_for(request: AuthedRequest, code: UUID) -> ApiToken:
    """The token, if the user may revoke it: staff any, a person their own personal ones."""
    token = ApiToken.objects.filter(code=code).first()
    if token is None:
        raise Http404("No such token.")
    own = token.kind == Kind.PERSONAL and token.user_id == request.user.pk
    own = own and keeps_personal_tokens(request.user)
    if not own and not manages_integrations(request.user):
        raise PermissionDenied("You may revoke only your own tokens.")
    return token


@require_POST
@login_required
def revoke(request: AuthedRequest, code: UUID) -> HttpResponse:
    token = _token_for(request, code)
    if token_revoke(token=token, actor=request.user):
        messages.success(request, f"Token {token.name} revoked: it is refused from now on.")
    else:
        messages.info(request, f"Token {token.name} was revoked already.")
    return redirect("tokens:integrations" if token.is_integration else "tokens:personal")
