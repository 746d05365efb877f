"""The package builds and ships what it needs: an sdist carries the built front end and
the licence, and a wheel builds from it on a machine without Node."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLES = tuple(f"jaxgrad_widgets/static/{name}.js" for name in ("widget", "surface", "watch"))

pytestmark = pytest.mark.slow


def _build(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    """``python -m build`` with this environment's build backend (no downloads)."""
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    missing = [b for b in BUNDLES if not (REPO / b).exists()]
    assert not missing, f"build the front end first (`make js`): {missing} missing"
    out = tmp_path_factory.mktemp("sdist")
    _build(["--sdist", "--outdir", str(out)], REPO)
    (archive,) = out.glob("jaxgrad_widgets-*.tar.gz")
    return archive


def test_the_sdist_carries_the_built_front_end_and_the_licence(sdist):
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert set(BUNDLES) <= names
    assert {"LICENSE", "README.md", "package.json", "pyproject.toml"} <= names
    assert not any(n.startswith(("node_modules/", ".venv/", "test-artifacts/")) for n in names)


def test_a_wheel_builds_from_the_sdist_without_node(sdist, tmp_path):
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    (source,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    # A PATH with this Python alone: no npm, no node.
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(bare)
    assert shutil.which("npm", path=env["PATH"]) is None
    _build(["--wheel", "--outdir", str(tmp_path / "dist")], source, env)
    (wheel,) = (tmp_path / "dist").glob("jaxgrad_widgets-*.whl")
    with zipfile.ZipFile(wheel) as zipped:
        names = set(zipped.namelist())
        assert set(BUNDLES) <= names
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(names)
        widget = zipped.read(BUNDLES[0]).decode()
        metadata = next(zipped.read(n).decode() for n in names if n.endswith("METADATA"))
    # The shipped bundle has no inline source map (it would more than double its size).
    assert "sourceMappingURL" not in widget
    assert "License-Expression: BSD-3-Clause" in metadata
