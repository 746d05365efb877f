"""Write notebooks for the browser tests to open."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

#: The repository root (tests/e2e/notebooks.py -> ../../).
REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO_ROOT / "examples"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write_notebook(
    directory: Path,
    name: str,
    cells: Sequence[str],
    *,
    markdown: Iterable[int] = (),
) -> Path:
    """Write ``directory/name`` (``.ipynb`` added if missing) and return its path.

    ``cells`` are code cell sources, in order. Indices listed in ``markdown`` are
    written as Markdown cells instead. The notebook names the ``python3`` kernel,
    so JupyterLab and Notebook 7 start it without asking.

    Give each test its own ``name``: the Jupyter server is shared by the session.
    """
    if not name.endswith(".ipynb"):
        name += ".ipynb"
    md = set(markdown)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if i in md else nbformat.v4.new_code_cell(src)
        for i, src in enumerate(cells)
    ]
    nbformat.validate(nb)
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def copy_examples(directory: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Copy the repository's ``examples/*.ipynb`` (or just ``names``) into ``directory``.

    Returns the copied paths. Outputs stored in the examples are kept; clear them
    with :func:`clear_outputs` to be sure what you see was produced by the test.
    Raises ``FileNotFoundError`` for a requested example that does not exist.
    """
    directory = Path(directory)
    if names is None:
        sources = sorted(EXAMPLES_DIR.glob("*.ipynb"))
    else:
        sources = []
        for n in names:
            src = EXAMPLES_DIR / (n if n.endswith(".ipynb") else n + ".ipynb")
            if not src.is_file():
                raise FileNotFoundError(src)
            sources.append(src)
    copied = []
    for src in sources:
        dst = directory / src.name
        shutil.copyfile(src, dst)
        copied.append(dst)
    return copied


def clear_outputs(path: Path) -> Path:
    """Remove stored outputs, execution counts and widget state from a notebook file."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return Path(path)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook file (e.g. one a test saved from the browser)."""
    return nbformat.read(path, as_version=4)
