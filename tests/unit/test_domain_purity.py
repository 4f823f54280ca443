"""The domain imports the standard library and eventsourcing.domain, nothing else."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
ALLOWED_THIRD_PARTY = {"eventsourcing.domain"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_domain_imports_only_stdlib_and_eventsourcing_domain():
    offenders = []
    for path in sorted(DOMAIN.glob("**/*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "domain" or name in ALLOWED_THIRD_PARTY:
                continue
            offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_the_purity_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import nats\nfrom eventsourcing.application import Application\n")
    assert _imports(bad) == {"nats", "eventsourcing.application"}
