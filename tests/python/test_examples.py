"""Every example notebook runs clean from top to bottom under nbclient."""

import pathlib

import nbclient
import nbformat
import pytest

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parents[2] / "examples").glob("*.ipynb"))


def test_the_examples_are_there():
    names = {p.stem for p in EXAMPLES}
    assert {"dashboard", "goldfield", "derivatives", "one_axis_robot"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", "".join(output.get("traceback", []))
            assert output.get("name") != "stderr" or "Warning" not in output.get("text", ""), (
                output.get("text")
            )
