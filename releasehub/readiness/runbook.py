"""The runbook's checklists as data: read by the data migration that seeds the templates.

(phase, text, default owner role, computed_by key or "")
"""

PRE_RELEASE = "pre_release"
MEETING = "meeting"
SMOKE = "smoke"
POST_RELEASE = "post_release"

TEMPLATES: list[tuple[str, str, str, str]] = [
    (
        PRE_RELEASE,
        "All tickets tagged for release are merged and pass CI",
        "squad_rep",
        "scope_merged_ci",
    ),
    (
        PRE_RELEASE,
        "Regression suite executed (unit, integration, E2E) with results logged",
        "qa_lead",
        "regression_logged",
    ),
    (PRE_RELEASE, "Release notes drafted in docs/changelog.md under a new entry", "rm", ""),
    (PRE_RELEASE, "Feature flags reviewed; default states documented", "squad_rep", ""),
    (
        PRE_RELEASE,
        "SRE verified infrastructure changes (Terraform, database migrations)",
        "sre",
        "",
    ),
    (PRE_RELEASE, "Rollback plan defined for each service/app change", "sre", "rollback_plans"),
    (
        PRE_RELEASE,
        "Stakeholder communication drafted (internal announcement, support briefing)",
        "rm",
        "",
    ),
    (MEETING, "Release scope reviewed", "rm", ""),
    (MEETING, "Known risks reviewed", "rm", ""),
    (MEETING, "Pending approvals reviewed", "rm", ""),
    (MEETING, "On-call assignments for the release window confirmed", "sre", ""),
    (MEETING, "Monitoring dashboards and alerts validated for new features", "sre", ""),
    (SMOKE, "Booking flow", "qa_lead", ""),
    (SMOKE, "Login", "qa_lead", ""),
    (SMOKE, "Dashboard load", "qa_lead", ""),
    (
        POST_RELEASE,
        "Changelog final in docs/changelog.md, with feature flags and known issues",
        "rm",
        "",
    ),
    (POST_RELEASE, "Support and Ops notified of release completion with a summary", "rm", ""),
    (POST_RELEASE, "Monitored for 24 hours; anomalies logged in the release ticket", "sre", ""),
    (POST_RELEASE, "Retrospective scheduled if critical issues occurred", "rm", ""),
]


def ensure_templates(ChecklistTemplateItem) -> None:
    """Create missing template lines; never overwrite what staff edited. Takes the model as an
    argument so the migration can pass its historical one."""
    positions: dict[str, int] = {}
    for phase, text, owner_role, computed_by in TEMPLATES:
        positions[phase] = positions.get(phase, 0) + 1
        ChecklistTemplateItem.objects.get_or_create(
            phase=phase,
            position=positions[phase],
            defaults={"text": text, "owner_role": owner_role, "computed_by": computed_by},
        )
