"""The runbook's catalog as data: read by the data migrations and by the demo seed."""

SQUADS = [
    ("patient", "Patient"),
    ("doctor", "Doctor"),
    ("admin", "Admin"),
    ("shared", "Shared Services"),
]
# Promotion order: identity → providers → appointments → payments → messaging → analytics.
SERVICES = ["identity", "providers", "appointments", "payments", "messaging", "analytics"]
FRONTENDS = [
    ("patient-web", "Patient web"),
    ("doctor-web", "Doctor web"),
    ("admin-console", "Admin console"),
]


def ensure_catalog(Squad, Service, FrontendApp) -> None:
    """Create what is missing; never overwrite what staff edited. Takes models as arguments so
    migrations can pass their historical ones."""
    for slug, name in SQUADS:
        Squad.objects.get_or_create(slug=slug, defaults={"name": name})
    for order, slug in enumerate(SERVICES, start=1):
        Service.objects.get_or_create(
            slug=slug, defaults={"name": slug.capitalize(), "promotion_order": order * 10}
        )
    for order, (slug, name) in enumerate(FRONTENDS, start=1):
        FrontendApp.objects.get_or_create(
            slug=slug, defaults={"name": name, "display_order": order}
        )
