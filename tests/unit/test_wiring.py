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
    """No `import_module(f"{svc}.worker")` and the like: wiring comes from the descriptors."""
    offences = []
    for path in sorted(KIT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "import_module" and node.args
                    and not isinstance(node.args[0], ast.Constant)):
                offences.append(f"{path.relative_to(KIT.parent)}:{node.lineno}")
    assert not offences, "govkit imports modules by computed name:\n" + "\n".join(offences)
