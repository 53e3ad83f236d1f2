"""The health rules of a service, `/services/<slug>/health-rules/`: SRE and staff add, change
and try them (docs/health-gates.md). Trying reads the live Prometheus and writes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from releasehub.catalog.models import Service
from releasehub.core.forms import attempt
from releasehub.core.http import AuthedRequest
from releasehub.rollout import forms, prometheus, rules
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import HealthRule
from releasehub.rollout.services.health_rules import (
    health_rule_save,
    health_rule_try,
    health_rules_from_template,
)

PAGE = "rollout/health_rules.html"


def _service_for(request: AuthedRequest, slug: str) -> Service:
    if not rules.edits_health_rules(request.user):
        raise PermissionDenied("Health rules are edited by SRE and staff.")
    return get_object_or_404(Service, slug=slug)


def _initial(rule: HealthRule) -> dict:
    fields = ("name", "measure", "expression", "comparison", "threshold", "baseline_factor")
    return {name: getattr(rule, name) for name in fields} | {"enabled": rule.enabled}


def _page(request: AuthedRequest, service: Service, *, status: int = 200, **extra) -> HttpResponse:
    rows = list(HealthRule.objects.filter(service=service))
    context = {
        "service": service,
        "rules": [(r, forms.HealthRuleForm(initial=_initial(r), prefix=str(r.code))) for r in rows],
        "new_form": forms.HealthRuleForm(prefix="new"),
        "configured": prometheus.configured(),
        **extra,
    }
    return render(request, PAGE, context, status=status)


def _back(service: Service) -> HttpResponse:
    return redirect(reverse("rollout:health_rules", args=[service.slug]))


@login_required
@require_GET
def health_rules(request: AuthedRequest, slug: str) -> HttpResponse:
    return _page(request, _service_for(request, slug))


@login_required
@require_POST
def health_rule_edit(request: AuthedRequest, slug: str) -> HttpResponse:
    """Add a rule (no `rule` code) or change one."""
    service = _service_for(request, slug)
    code = request.POST.get("rule", "")
    rule = HealthRule.objects.filter(service=service, code=code).first() if code else None
    if code and rule is None:
        return _page(request, service, status=400, error="That rule is not this service's.")
    form = forms.HealthRuleForm(request.POST, prefix=str(rule.code) if rule else "new")
    outcome = attempt(
        form,
        lambda data: health_rule_save(component=service, actor=request.user, rule=rule, **data),
    )
    if not outcome.ok:
        return _page(request, service, status=400, error=outcome.error)
    messages.success(request, f"Saved: {outcome.value}.")
    return _back(service)


@login_required
@require_POST
def health_rules_defaults(request: AuthedRequest, slug: str) -> HttpResponse:
    """The catalog's template (p95 latency, error ratio) with the service label filled in."""
    service = _service_for(request, slug)
    try:
        health_rules_from_template(component=service, actor=request.user)
    except RolloutError as refusal:
        return _page(request, service, status=400, error=str(refusal))
    messages.success(request, f"Default rules added for {service}.")
    return _back(service)


@login_required
@require_POST
def rule_try(request: AuthedRequest, slug: str) -> HttpResponse:
    """Read the form's expression from Prometheus now; the answer in place (htmx) or the page."""
    service = _service_for(request, slug)
    prefix = request.POST.get("prefix", "new")
    form = forms.HealthRuleTryForm(request.POST, prefix=prefix)
    outcome = attempt(form, lambda data: health_rule_try(**data))
    context = {"trial": outcome.value, "error": outcome.error, "prefix": prefix}
    if request.htmx:
        return render(request, f"{PAGE}#try-result", context)
    return _page(request, service, status=200 if outcome.ok else 400, tried=context)
