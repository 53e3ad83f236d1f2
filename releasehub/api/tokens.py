"""Making, finding and revoking API tokens."""

import datetime as dt
import secrets
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from releasehub.accounts.machines import machine_user
from releasehub.accounts.models import Squad, User
from releasehub.api.models import ApiToken, secret_hash
from releasehub.api.scopes import PERSONAL_ONLY, Scope, machine_roles
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.errors import ServiceError

PREFIXES: dict[str, str] = {ApiToken.Kind.PERSONAL: "rhp_", ApiToken.Kind.INTEGRATION: "rhi_"}
MAX_LIFETIME = dt.timedelta(days=366)
# last_used_at is written at most this often per token: a busy pipeline does not write per call.
USE_RECORDED_EVERY = dt.timedelta(seconds=60)


class TokenError(ServiceError):
    pass


def _new_secret(kind: str) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def _insert(**fields) -> ApiToken:
    # The unique live name is the database's to check (two requests may race); it is the
    # person's mistake, so a refusal and not a 500.
    try:
        with transaction.atomic():
            return ApiToken.objects.create(**fields)
    except IntegrityError:
        raise TokenError(
            "A live token with this name exists already: revoke it or choose another name."
        ) from None


def _checked(scopes: Iterable[str], expires_at: dt.datetime) -> list[str]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise TokenError("Choose at least one scope.")
    if unknown := set(chosen) - set(Scope.values):
        raise TokenError(f"Unknown scopes: {', '.join(sorted(unknown))}.")
    now = timezone.now()
    if not now < expires_at <= now + MAX_LIFETIME:
        raise TokenError("A token expires within a year from now.")
    return chosen


@transaction.atomic
def token_create_personal(
    *, user: User, name: str, scopes: Iterable[str], expires_at: dt.datetime
) -> tuple[ApiToken, str]:
    """A token acting as `user`. Returns the token and its secret, which is never shown again."""
    chosen = _checked(scopes, expires_at)
    if user.is_machine:
        raise TokenError("Machines get integration tokens.")
    secret = _new_secret(ApiToken.Kind.PERSONAL)
    token = _insert(
        kind=ApiToken.Kind.PERSONAL,
        name=name.strip()[:80],
        user=user,
        created_by=user,
        prefix=secret[:10],
        hashed=secret_hash(secret),
        scopes=chosen,
        expires_at=expires_at,
    )
    _made(token, actor=user)
    return token, secret


def _made(token: ApiToken, *, actor: User) -> None:
    record_event(
        verb="api.token_created",
        target=token,
        actor=actor,
        summary=f"{token.label} made, scopes {', '.join(token.scopes)}, "
        f"expires {token.expires_at:%Y-%m-%d}",
    )


@transaction.atomic
def token_create_integration(
    *,
    actor: User,
    name: str,
    scopes: Iterable[str],
    expires_at: dt.datetime,
    services: Iterable[Service] = (),
    apps: Iterable[FrontendApp] = (),
    squads: Iterable[Squad] | None = None,
) -> tuple[ApiToken, str]:
    """A pipeline's token (staff only): it acts as the machine user `machine:api-<name>`, which
    holds just the roles its scopes imply. Sign-offs are never among them."""
    if not actor.is_staff:
        raise TokenError("Integration tokens are made by staff.")
    chosen = _checked(scopes, expires_at)
    if personal := PERSONAL_ONLY & set(chosen):
        raise TokenError(f"An integration cannot be given {', '.join(sorted(personal))}.")
    name = name.strip()[:80]
    if not slugify(name):
        raise TokenError("Name the pipeline, e.g. deploy-backend.")
    squads = list(Squad.objects.all() if squads is None else squads)
    secret = _new_secret(ApiToken.Kind.INTEGRATION)
    # One machine user per token, named after it: two tokens never share (or reset) roles.
    machine = machine_user(
        f"api-{slugify(name)[:100]}-{secret[4:12].lower()}",
        label=f"Pipeline {name}",
        roles=machine_roles(chosen),
        squads=squads,
    )
    token = _insert(
        kind=ApiToken.Kind.INTEGRATION,
        name=name,
        user=machine,
        created_by=actor,
        prefix=secret[:10],
        hashed=secret_hash(secret),
        scopes=chosen,
        expires_at=expires_at,
    )
    token.services.set(services)
    token.apps.set(apps)
    _made(token, actor=actor)
    return token, secret


def token_revoke(*, token: ApiToken, actor: User) -> bool:
    """Staff revoke any token, a person their own. Idempotent; True when this call revoked it."""
    if not (actor.is_staff or (token.kind == ApiToken.Kind.PERSONAL and token.user_id == actor.pk)):
        raise TokenError("You may revoke only your own tokens.")
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
        if revoked:
            record_event(
                verb="api.token_revoked",
                target=token,
                actor=actor,
                summary=f"{token.label} revoked",
            )
    return bool(revoked)


def token_for_secret(secret: str, *, address: str | None) -> ApiToken | None:
    """The live token with this secret (one indexed query), its use recorded at most once a
    minute; None when unknown, revoked or expired."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(hashed=secret_hash(secret), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or token.last_used_at < now - USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
    return token
