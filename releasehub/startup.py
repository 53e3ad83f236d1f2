"""What the web process verifies before it serves anything (wsgi.py).

With DEBUG off, pages name their static files through whitenoise's manifest storage, and a page
naming a file the manifest lacks raises: before `collectstatic` (or after an upgrade that added
a file without it) every page answered 500. The web process refuses to start instead, saying
what to run, so a deploy stops where it went wrong and gunicorn never serves a broken page.
A Django system check would not do: gunicorn runs none, and `check --deploy` in CI runs before
`collectstatic`. The Celery processes serve no pages and do not check.
"""

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.exceptions import ImproperlyConfigured


def static_files_problem() -> str:
    """Why the collected static files cannot serve the pages ("" when they can)."""
    storage = staticfiles_storage
    if not isinstance(storage, ManifestFilesMixin) or not storage.manifest_strict:
        return ""  # DEBUG: files are served from the source folders as they are
    fix = (
        "run `python manage.py collectstatic --noinput` with the same settings "
        f"(STATIC_ROOT={settings.STATIC_ROOT}) before starting the web process"
    )
    try:
        manifest, _ = storage.load_manifest()
    except ValueError as exc:
        return f"The static files manifest cannot be read ({exc}): {fix}."
    if not manifest:
        return f"Static files have not been collected (no {storage.manifest_name}): {fix}."
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    found = {path for finder in finders.get_finders() for path, _ in finder.list(ignore)}
    if missing := sorted(found - set(manifest)):
        return (
            f"{len(missing)} static file(s) are not in the collected manifest, "
            f"e.g. {', '.join(missing[:3])}: {fix}."
        )
    return ""


def require_static_files() -> None:
    if problem := static_files_problem():
        raise ImproperlyConfigured(problem)
