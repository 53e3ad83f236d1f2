"""The production image installs the runtime lock only; development adds its tools on top of
the very same runtime pins."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {"pytest", "pytest-django", "playwright", "ruff", "mypy", "factory-boy", "time-machine"}
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", re.M)


def pins(name: str) -> dict[str, str]:
    return dict(PIN.findall((ROOT / name).read_text()))


def test_the_runtime_lock_holds_no_test_or_lint_tool():
    runtime = pins("requirements.lock")
    assert {"django", "celery", "gunicorn"} <= runtime.keys()
    assert not TOOLS & runtime.keys()


def test_the_development_lock_pins_the_runtime_at_the_same_versions():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert dev.keys() >= TOOLS
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_image_installs_only_the_runtime_lock():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    instructions = [line for line in lines if not line.lstrip().startswith("#")]
    installs = [line for line in instructions if "pip install" in line]
    assert installs and all("-r requirements.lock" in line for line in installs)
    assert not any("requirements-dev" in line for line in instructions)


def test_make_installs_the_development_lock():
    assert "-r requirements-dev.lock" in (ROOT / "scripts" / "bootstrap").read_text()
