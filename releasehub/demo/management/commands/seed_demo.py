from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from releasehub.demo.seed import PEOPLE, DemoRefused, seed_demo


class Command(BaseCommand):
    help = "Load demo people, roles and release history (idempotent; refused when DEBUG is off)."

    def handle(self, *args, **options) -> None:
        try:
            seed_demo()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        self.stdout.write("  admin      staff (Django admin)")
        for username, full_name, roles, _ in PEOPLE:
            labels = ", ".join(r.label + (f" ({s})" if s else "") for r, s in roles)
            self.stdout.write(f"  {username:<10} {full_name:<14} {labels}")
