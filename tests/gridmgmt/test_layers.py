"""The layer order is enforced: import-linter (run by `make test`) passes on the project and fails, with a
message naming the culprit, on a copy of it given one upward import or one cycle inside an app."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the project's apps and their import-linter configuration."""
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_app_of_the_project_is_in_the_layer_order():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    layers = {layer.strip("()") for layer in CONFIG["contracts"][0]["layers"]}
    assert apps <= layers, f"apps missing from the layer contract: {sorted(apps - layers)}"
    assert apps <= set(CONFIG["root_packages"])


def test_make_test_runs_the_import_linter():
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "lint-imports" in recipe


def test_the_project_keeps_its_layers(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_inside_a_function_breaks_the_build(tree):
    (tree / "grids" / "upward.py").write_text(
        '"""A lower app reaching up."""\n\n\ndef open_cases():\n    from cases.models import Case\n\n'
        "    return Case.objects.all()\n"
    )
    result = _lint(tree)
    assert result.returncode != 0
    assert "grids is not allowed to import cases" in result.stdout
    assert "grids.upward -> cases.models" in result.stdout


def test_the_ground_package_may_not_name_an_app_outside_its_wiring(tree):
    (tree / "gridmgmt" / "shortcut.py").write_text("from dispatch import selectors  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "gridmgmt.shortcut -> dispatch.selectors" in result.stdout


def test_a_cycle_between_modules_of_an_app_breaks_the_build(tree):
    (tree / "cases" / "workflow.py").write_text(
        (tree / "cases" / "workflow.py").read_text()
        + "\n\ndef _back():\n    from . import services  # noqa\n"
    )
    result = _lint(tree)
    assert result.returncode != 0
    assert "No cycles are allowed in cases" in result.stdout
