import re

import pytest

NONCE = re.compile(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/", "/no-such-page/"])
def test_every_response_carries_the_csp_with_a_nonce(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    assert NONCE.search(policy), policy
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy


@pytest.mark.django_db
def test_page_scripts_carry_the_response_nonce(client):
    response = client.get("/accounts/login/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert '"allowEval": false' in html
