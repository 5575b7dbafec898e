"""Unit level, no servers: the kit stays ignorant of the services. govkit may import no service
package; services are found only through their descriptors (the `govops.services` entry points)."""

from __future__ import annotations

import ast
from pathlib import Path

KIT = Path(__file__).resolve().parents[2] / "services" / "govkit"
SERVICE_PACKAGES = {"org", "ticket", "budget", "outsource", "evaluation", "portal", "notify"}


def _imported_modules(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_the_kit_imports_no_service_package():
    offences = []
    for path in sorted(KIT.rglob("*.py")):
        for line, module in _imported_modules(ast.parse(path.read_text(), str(path))):
            if module.split(".")[0] in SERVICE_PACKAGES:
                offences.append(f"{path.relative_to(KIT.parent)}:{line}: {module}")
    assert not offences, "govkit imports service packages:\n" + "\n".join(offences)


def test_the_kit_builds_no_service_module_names():
    """No `import_module(f"{svc}.worker")` and the like: wiring comes from the descriptors. Only
    govkit.service imports by name, the "module:attribute" references a descriptor declares."""
    offences = []
    for path in sorted(set(KIT.rglob("*.py")) - {KIT / "service.py"}):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "import_module" and node.args
                    and not isinstance(node.args[0], ast.Constant)):
                offences.append(f"{path.relative_to(KIT.parent)}:{node.lineno}")
    assert not offences, "govkit imports modules by computed name:\n" + "\n".join(offences)


def _fresh_python(code: str) -> list[str]:
    """Run `code` in a new interpreter; it prints a JSON list, returned here."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_every_service_is_registered_once_in_port_order():
    from govkit import config
    from govkit.service import get, names

    assert names() == ("org", "ticket", "budget", "outsource", "evaluation", "notify")
    assert [config.default_grpc_port(s) for s in names()] == [50051, 50052, 50053, 50054, 50055, 50057]
    assert get("evaluation").group_name == "eval"


def test_every_declared_part_loads():
    import inspect

    import typer
    from alembic.script import ScriptDirectory

    from govkit.migrate import alembic_config
    from govkit.service import registry

    for name, d in registry().items():
        assert d.load("worker").name == name
        assert callable(d.load("grpc"))
        assert ScriptDirectory.from_config(alembic_config(name, "postgresql://unused")).get_current_head()
        assert isinstance(d.load("cli"), typer.Typer)
        assert list(inspect.signature(d.load("demo_seed")).parameters) == ["console"]
        for part in ("grpc_verifier", "after_migrate"):
            assert getattr(d, part) is None or callable(d.load(part))
        for ref in d.demo_exports.values():
            assert ref.startswith(f"{name}.")


def test_reading_the_descriptors_imports_no_service_code_nor_eventlet_nor_grpc():
    """The runners read the descriptors before choosing what to load; the worker has already
    monkey-patched by then, the gRPC process must never have eventlet's worker loaded."""
    loaded = _fresh_python(
        "import json, sys\n"
        "from govkit.service import names\n"
        "names()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('eventlet', 'nameko', 'grpc', 'sqlalchemy') or m.endswith(('.worker', '.grpc_api', '.handlers')))))\n")
    assert loaded == []


def test_a_grpc_process_loads_no_worker_module():
    loaded = _fresh_python(
        "import json, sys\n"
        "from govkit.service import registry\n"
        "for d in registry().values():\n"
        "    d.load('grpc'); d.load('grpc_verifier')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.endswith('.worker'))))\n")
    assert loaded == []


def test_service_command_groups_come_from_the_descriptors():
    from typer.testing import CliRunner

    from govkit.cli import app

    result = CliRunner().invoke(app, ["eval", "kpi", "--help"])
    assert result.exit_code == 0, result.output
    assert {"get", "watch", "rebuild", "check"} <= set(result.output.split())
    assert CliRunner().invoke(app, ["kpi", "--help"]).exit_code != 0  # moved to evaluation's group
