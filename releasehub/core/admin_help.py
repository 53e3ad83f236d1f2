from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class HelpTextsAdmin(admin.ModelAdmin):
    """A ModelAdmin whose form gets `help_texts`: words for staff that the model's own
    help_text would carry only through a migration."""

    help_texts: dict[str, str] = {}

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("help_texts", self.help_texts)
        return super().get_form(request, obj, change=change, **kwargs)
