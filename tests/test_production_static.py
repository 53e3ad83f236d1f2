"""Production mode (DEBUG off) serves static files from STATIC_ROOT through a manifest: before
`collectstatic` the web process refuses to start with the fix in its message, instead of
answering 500 on every page (#14 item 8). Each case runs in a fresh process."""

import json
import re
from pathlib import Path

import pytest

from tests.test_settings import PRODUCTION, run

GUNICORN = (
    "import sys; from gunicorn.app.wsgiapp import run; "
    "sys.argv = ['gunicorn', 'releasehub.wsgi', '--bind', '127.0.0.1:0', '--workers', '1']; run()"
)
# The login page through the WSGI application the web process loads, and the stylesheet it names.
SERVE = (
    "from releasehub.wsgi import application; from django.test import Client; "
    "client = Client(); page = client.get('/accounts/login/'); "
    "print(page.status_code); css = page.content.decode().split('/static/css/')[1].split('\"')[0]; "
    "print(css); print(client.get('/static/css/' + css).status_code)"
)
SERVING = {**PRODUCTION, "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0"}


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("collected") / "static"
    result = run(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('collectstatic', '--noinput', verbosity=0)",
        **PRODUCTION,
        STATIC_ROOT=str(root),
    )
    assert result.returncode == 0, result.stderr
    return root


def test_the_web_process_refuses_to_start_before_collectstatic(tmp_path):
    result = run(GUNICORN, **PRODUCTION, STATIC_ROOT=str(tmp_path / "static"))
    assert result.returncode != 0
    assert "Static files have not been collected" in result.stderr
    assert "manage.py collectstatic" in result.stderr and str(tmp_path / "static") in result.stderr


def test_after_collectstatic_pages_and_their_static_files_are_served(collected):
    result = run(SERVE, **SERVING, STATIC_ROOT=str(collected))
    assert result.returncode == 0, result.stderr
    status, css, css_status = result.stdout.split()
    assert status == "200" and css_status == "200"
    assert re.fullmatch(r"app\.[0-9a-f]{12}\.css", css)  # the manifest's name, cacheable forever


def test_a_manifest_older_than_the_code_stops_start_up_naming_the_missing_files(
    collected, tmp_path
):
    manifest = json.loads((collected / "staticfiles.json").read_text())
    del manifest["paths"]["js/app.js"]
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    result = run("import releasehub.wsgi", **PRODUCTION, STATIC_ROOT=str(tmp_path))
    assert result.returncode != 0
    assert "1 static file(s) are not in the collected manifest, e.g. js/app.js" in result.stderr


def test_development_mode_needs_no_collectstatic(tmp_path):
    result = run(SERVE, DEBUG="1", ALLOWED_HOSTS="testserver", STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[::2] == ["200", "200"]
