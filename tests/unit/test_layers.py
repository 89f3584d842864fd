"""The dependency rule: workflow imports nothing outward and no framework (DESIGN.md section 2)."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("celery", "weasyprint", "fastapi", "documents", "workers", "web", "sertiflow")


def test_importing_every_workflow_module_loads_no_outer_layer_or_framework() -> None:
    code = (
        "import pkgutil, importlib, sys, workflow\n"
        "for m in pkgutil.walk_packages(workflow.__path__, 'workflow.'):\n"
        "    if '.migrations' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_inner_layers_never_import_the_web_app_nor_the_cli() -> None:
    """``web`` may import ``documents`` and ``workflow``; neither they nor ``workers`` import
    ``web`` (or ``fastapi``, ``starlette``, ``uvicorn``)."""
    code = (
        "import pkgutil, importlib, sys, documents, workers\n"
        "for package in (documents, workers):\n"
        "    for m in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "outer = ('web', 'sertiflow', 'fastapi', 'starlette', 'uvicorn')\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in outer)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_web_app_imports_no_worker_nor_the_cli() -> None:
    code = (
        "import pkgutil, importlib, sys, web\n"
        "for m in pkgutil.walk_packages(web.__path__, 'web.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in "
        "('workers', 'sertiflow', 'celery'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_package_states_its_contract_and_public_names() -> None:
    import documents
    import web
    import workers
    import workflow

    for package in (workflow, documents, workers, web):
        assert package.__doc__ and len(package.__doc__.strip()) > 40, package.__name__
        assert isinstance(package.__all__, list), package.__name__
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name}"


def test_the_schema_revision_the_cli_expects_is_the_newest_migration() -> None:
    from workflow.persistence.database import SCHEMA_REVISION
    from workflow.persistence.migrate import head_revision

    assert head_revision() == SCHEMA_REVISION
