"""The runbook's communication templates and the audiences, as data: read by the data migration,
the demo seed and the tests. `ensure_*` create what is missing and never overwrite edits."""

TEMPLATES = {
    "heads_up": (
        "Release {version} scheduled for {window}",
        "Release {version} scheduled for {window}.\n"
        "Scope: {scope_summary}\n"
        "Code freeze starts {code_freeze}.\n\n"
        "Details: {release_link}",
    ),
    "announcement": (
        "Release {version} completed",
        "Release {version} completed at {completed_at}.\n\n"
        "Key updates:\n{key_updates}\n\n"
        "Known issues:\n{known_issues}\n\n"
        "Changelog: {changelog_link}",
    ),
    "hotfix": (
        "Hotfix {hotfix_id} deploying now",
        "Hotfix {hotfix_id} deploying now to address {issue}. "
        "Expect brief impact on {affected_service}.\n\n"
        "Incident: {incident_link}",
    ),
}

# name, kind, role, display order (squad audiences follow, one per squad)
AUDIENCES = [
    ("Support", "support", "support", 1),
    ("Ops", "ops", "sre", 2),
]


def ensure_templates(MessageTemplate) -> None:
    for kind, (subject, body) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            kind=kind, defaults={"subject": subject, "body": body}
        )


def ensure_audiences(Audience, Squad) -> None:
    for name, kind, role, order in AUDIENCES:
        Audience.objects.get_or_create(
            name=name, defaults={"kind": kind, "role": role, "display_order": order}
        )
    for i, squad in enumerate(Squad.objects.order_by("name"), start=10):
        Audience.objects.get_or_create(
            name=f"{squad.name} squad",
            defaults={"kind": "squad", "squad": squad, "display_order": i},
        )
    Audience.objects.get_or_create(
        name="Everyone", defaults={"kind": "everyone", "display_order": 99}
    )
