"""The apps form layers: an app imports only from its own layer or the layers below it, and
no two apps import each other, directly or around a loop. See docs/architecture.md."""

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "releasehub"

# Bottom to top. `(project)` is settings, urls, the Celery app, health and middleware.
LAYERS: list[set[str]] = [
    {"core", "accounts", "catalog", "audit"},
    {"releases"},
    {"readiness", "rollout", "schedule", "notify", "comms", "flags", "metrics"},
    # The API, the webhooks and the calendar feeds act through the apps below, like the pages.
    {"pages", "demo", "api", "webhooks", "feeds", "(project)"},
]


def app_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "(project)"


def imported_apps(path: Path) -> set[str]:
    """Apps named by the module's imports, at any depth (a function-level import is an import
    all the same); imports only for type checkers are left out, they do not run."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {
        name.split(".")[1]
        for name in names
        if name.startswith("releasehub.") and (PACKAGE / name.split(".")[1]).is_dir()
    }


def app_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        app = app_of(path)
        graph.setdefault(app, set()).update(imported_apps(path) - {app})
    return graph


def layer_violations(graph: Mapping[str, Iterable[str]], layers: list[set[str]]) -> list[str]:
    level = {app: i for i, layer in enumerate(layers) for app in layer}
    return [
        f"{app} (layer {level[app]}) imports {target} (layer {level[target]})"
        for app, targets in sorted(graph.items())
        for target in sorted(targets)
        if level.get(app, len(layers)) < level.get(target, len(layers))
    ]


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every loop, each as the path that closes it, found by depth-first search."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def visit(app: str, path: list[str]) -> None:
        for target in sorted(graph.get(app, ())):
            if target in path:
                loop = [*path[path.index(target) :], target]
                if (key := frozenset(loop)) not in seen:
                    seen.add(key)
                    found.append(loop)
            else:
                visit(target, [*path, target])

    for app in sorted(graph):
        visit(app, [app])
    return found


def test_every_app_has_a_layer():
    assert set(app_graph()) <= set().union(*LAYERS)


def test_apps_import_only_their_own_layer_and_the_layers_below():
    assert layer_violations(app_graph(), LAYERS) == []


def test_no_two_apps_import_each_other():
    assert cycles(app_graph()) == []


def test_the_check_catches_a_loop_and_an_upward_import():
    graph = {"releases": {"catalog", "schedule"}, "schedule": {"releases"}, "catalog": set()}
    assert cycles(graph) == [["releases", "schedule", "releases"]]
    assert layer_violations(graph, LAYERS) == ["releases (layer 1) imports schedule (layer 2)"]


def test_a_function_level_import_counts_and_a_type_checking_one_does_not(tmp_path, monkeypatch):
    module = tmp_path / "releasehub" / "releases" / "services.py"
    module.parent.mkdir(parents=True)
    for app in ("readiness", "schedule"):
        (tmp_path / "releasehub" / app).mkdir()
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from releasehub.schedule.models import ScheduledAction\n"
        "def create():\n"
        "    from releasehub.readiness.services import checklists_create_for\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", module.parents[1])
    assert imported_apps(module) == {"readiness"}
