"""docs/security.md's roles table is the code's access rules, computed: it cannot drift."""

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver

from releasehub.pages.access_table import ACTIONS, BEGIN, END, Action, render
from releasehub.pages.management.commands.security_roles import replace_section
from releasehub.releases import access

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
ALL = [action for actions in ACTIONS.values() for action in actions]


def _routes(patterns=None, namespace: str = "") -> Iterator[tuple[str, Callable]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.callback


ROUTES = dict(_routes())


def _chain(view: Callable) -> list[Callable]:
    """The view and what its decorators wrap (functools.wraps keeps `__wrapped__`)."""
    chain = [view]
    while hasattr(chain[-1], "__wrapped__"):
        chain.append(chain[-1].__wrapped__)
    return chain


def _code(function: Callable) -> str:
    # From the code object: getsource(function) would follow __wrapped__ to the innermost.
    return textwrap.dedent(inspect.getsource(function.__code__))


def _source(view: Callable) -> str:
    """The view's code with its decorators' wrappers, and the module's helpers it calls."""
    functions = [f for f in _chain(view) if inspect.isfunction(f)]
    module = inspect.getmodule(functions[-1])
    texts = [_code(f) for f in functions]
    for text in list(texts):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                helper = getattr(module, node.func.id, None)
                if inspect.isfunction(helper) and inspect.getmodule(helper) is module:
                    texts.append(_code(helper))
    return "\n".join(texts)


def _posts(view: Callable) -> bool:
    functions = [f for f in _chain(view) if inspect.isfunction(f)]
    text = _code(functions[-1])
    return "@require_POST" in text or bool(re.search(r"@require_http_methods\(.*POST", text))


def test_the_roles_section_of_security_md_is_the_generated_one():
    text = DOC.read_text()
    committed = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert committed == render(), "run: python manage.py security_roles --write"


def _app_posts() -> dict[str, Callable]:
    return {
        name: view
        for name, view in ROUTES.items()
        if view.__module__.startswith("releasehub.")
        and not hasattr(view, "view_class")
        and _posts(view)
    }


# Receivers for machines: no session, no CSRF; each checks a signature or a secret token
# itself (docs/integrations.md). A new one must be added here, and described in security.md.
MACHINE_RECEIVERS = {"webhooks:github", "webhooks:gitlab", "webhooks:alertmanager"}


def test_every_signed_in_post_route_of_the_app_is_in_the_table():
    documented = {route for action in ALL for route in action.routes}
    posts = set(_app_posts()) - MACHINE_RECEIVERS
    assert len(posts) > 40  # the walk found the app's forms
    assert posts - documented == set()


def test_the_only_posts_without_a_session_are_the_documented_machine_receivers():
    exempt = {name for name, view in _app_posts().items() if getattr(view, "csrf_exempt", False)}
    # A signed-in view may skip the middleware to check CSRF itself later (metrics:import): it
    # is in the roles table like any other.
    documented = {route for action in ALL for route in action.routes}
    assert exempt - documented == MACHINE_RECEIVERS
    text = DOC.read_text()
    for name in MACHINE_RECEIVERS:
        assert f"`{name}`" in text, f"describe {name} in docs/security.md"


@pytest.mark.parametrize("action", ALL, ids=lambda a: a.label[:40])
def test_each_row_names_the_rule_its_views_check(action: Action):
    for route in action.routes:
        # The admin's views are wrapped by admin_view, which asks the site's has_permission.
        view = admin.AdminSite.admin_view if route.startswith("admin:") else ROUTES[route]
        text = _source(view)
        if action.rule is access.anyone:
            # release_for's default: signed in, no role asked.
            assert re.search(r"release_for\(request, code(\)|, related=)", text), route
        else:
            assert re.search(rf"\b{action.rule.__name__}\b", text), (route, action.rule)


def test_a_rule_that_changes_changes_the_table(monkeypatch):
    before = render()
    monkeypatch.setattr(Action, "allows", lambda self, user: False)
    assert render() != before


def test_write_replaces_only_the_generated_section():
    page = f"# Title\n\nintro\n\n{BEGIN}\nold table\n{END}\n\n## After\n"
    assert replace_section(page, f"{BEGIN}\nnew\n{END}") == (
        f"# Title\n\nintro\n\n{BEGIN}\nnew\n{END}\n\n## After\n"
    )
    with pytest.raises(CommandError, match="no generated section"):
        replace_section("# nothing here\n", "x")


def test_the_command_prints_the_table(capsys):
    call_command("security_roles")
    assert capsys.readouterr().out.strip() == render()
