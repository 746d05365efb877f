"""The package: one version everywhere, runnable docstring examples, a complete wheel."""

import ast
import doctest
import importlib
import json
import pathlib
import pkgutil
import subprocess
import sys
import zipfile

import pytest

import jaxgrad_widgets

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_python_and_javascript_versions_agree():
    package_json = json.loads((ROOT / "package.json").read_text())
    assert jaxgrad_widgets.__version__ == package_json["version"]


#: What could run code from a string (a trait or a message the browser sent).
_RUNS_STRINGS = {"eval", "exec", "compile", "__import__", "import_module", "run_path"}


def test_no_module_can_run_code_from_a_string():
    """No trait or message can reach eval, exec, compile or an import: none is ever called."""
    calls = []
    for path in sorted((ROOT / "jaxgrad_widgets").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                owner = getattr(getattr(func, "value", None), "id", None)
                if name in _RUNS_STRINGS and owner != "re":  # re.compile builds a regex
                    calls.append(f"{path.name}:{node.lineno} {name}")
    assert calls == []
    assert len(list((ROOT / "jaxgrad_widgets").rglob("*.py"))) > 20  # the scan saw the package


def _modules():
    names = [jaxgrad_widgets.__name__]
    for info in pkgutil.walk_packages(jaxgrad_widgets.__path__, prefix="jaxgrad_widgets."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0


def _public_members(module):
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if callable(obj) and getattr(obj, "__module__", "").startswith("jaxgrad_widgets"):
            yield name, obj


@pytest.mark.parametrize("module_name", _modules())
def test_every_public_function_and_class_has_an_example(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name, obj in _public_members(module) if ">>>" not in (obj.__doc__ or "")]
    assert missing == []


@pytest.mark.slow
def test_built_wheel_contains_the_front_end_bundle(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("jaxgrad_widgets-*.whl")
    assert wheel.name.startswith(f"jaxgrad_widgets-{jaxgrad_widgets.__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        bundle = archive.read("jaxgrad_widgets/static/widget.js")
    assert "jaxgrad_widgets/engine/descent.py" in names
    assert len(bundle) > 1000
