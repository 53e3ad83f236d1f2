from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from releasehub.pages.access_table import BEGIN, END, render

DOC = Path(settings.BASE_DIR) / "docs" / "security.md"


def replace_section(text: str, section: str) -> str:
    """The page with its generated section (BEGIN … END) replaced by `section`."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise CommandError(f"{DOC} has no generated section ({BEGIN} … {END}).")
    return text[:start] + section + text[end + len(END) :]


class Command(BaseCommand):
    help = (
        "Print the roles table of docs/security.md, computed from the access rules the views "
        "check; --write puts it into the page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help=f"update {DOC.name} in place")

    def handle(self, *args, write: bool, **options):
        section = render()
        if not write:
            self.stdout.write(section)
            return
        DOC.write_text(replace_section(DOC.read_text(), section))
        self.stdout.write(f"Updated the roles section of {DOC}.")
