"""`jaxgrad-widgets serve`: the Voilà command a class is served with, and its checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jaxgrad_widgets.serve import ServePlan, main, warm_cache

LESSON = Path(__file__).resolve().parents[2] / "examples" / "dashboard.ipynb"


def test_the_plan_holds_every_option_that_held_up_under_load(tmp_path):
    plan = ServePlan(LESSON, students=30, port=9000, ip="0.0.0.0", fill_delay=300,
                     cache_dir=tmp_path)  # fmt: skip
    command = plan.voila_command(python="python")
    assert command[:4] == ["python", "-m", "voila", str(LESSON)]
    for option in (
        "--preheat_kernel=True",
        "--pool_size=30",
        "--VoilaKernelManager.fill_delay=300.0",
        "--KernelManager.transport=ipc",
        "--VoilaExecutor.iopub_timeout=60",
        "--KernelRestarter.time_to_dead=1.0",
        "--MappingKernelManager.cull_idle_timeout=900",
        "--VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension",
        "--port=9000",
        "--Voila.ip=0.0.0.0",
    ):
        assert option in command
    env = plan.kernel_environment({"PATH": "/bin"})
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path) and env["PATH"] == "/bin"
    assert env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0"
    assert env["JAXGRAD_WIDGETS_FAMILY_BYTES"] == "150000"
    # A cache the teacher set up already is kept.
    assert plan.kernel_environment({"JAX_COMPILATION_CACHE_DIR": "/srv/cache"})[
        "JAX_COMPILATION_CACHE_DIR"] == "/srv/cache"  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"students": 0}, "students must be from 1 to 200, not 0"),
        ({"students": 2.5}, "students must be a whole number, not 2.5"),
        ({"port": 70000}, "port must be from 1 to 65535, not 70000"),
        ({"fill_delay": -1.0}, "fill delay must be 0 seconds or more, not -1.0"),
    ],
)
def test_bad_plans_are_refused_in_one_sentence(changes, message):
    with pytest.raises(ValueError, match=message):
        ServePlan(LESSON, **changes)


def test_the_command_line(capsys, tmp_path):
    assert main(["serve", str(LESSON), "--students", "4", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "-m voila" in printed and "--pool_size=4" in printed
    assert main(["serve", str(tmp_path / "missing.ipynb")]) == 2
    assert "no notebook at" in capsys.readouterr().out
    assert main(["serve", str(LESSON), "--students", "500"]) == 2
    assert "students must be from 1 to 200, not 500" in capsys.readouterr().out


def _lesson(folder: Path, *sources: str) -> Path:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path = folder / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_warming_fills_the_cache_for_the_pool(tmp_path):
    cache = tmp_path / "cache"
    env = ServePlan(LESSON, cache_dir=cache).kernel_environment()
    lesson = _lesson(tmp_path, "import jax, jax.numpy as jnp",
                     "jax.jit(lambda x: jnp.sin(x) * 3)(1.0)")  # fmt: skip
    assert warm_cache(lesson, env, idle=0.0) > 0
    assert len(list(cache.iterdir())) >= 1  # a compiled program for the pool to load


def test_a_failing_lesson_is_said_in_one_line(tmp_path):
    lesson = _lesson(tmp_path, "x = 1", "1 / 0")
    with pytest.raises(RuntimeError, match=r"^lesson.ipynb failed: ZeroDivisionError"):
        warm_cache(lesson, ServePlan(LESSON, cache_dir=tmp_path).kernel_environment(), idle=0)


def test_the_installed_entry_point_answers():
    done = subprocess.run([Path(sys.executable).parent / "jaxgrad-widgets", "serve", "--help"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and "--students" in done.stdout


def test_a_served_kernel_holds_a_smaller_family(monkeypatch):
    """The budget `serve` gives its kernels: the dashboards of examples/dashboard.ipynb
    each keep their family under 150 KB, still a few key presses either way."""
    from jaxgrad_widgets import GradDescentWidget
    from jaxgrad_widgets.functions import goldfield

    monkeypatch.setenv("JAXGRAD_WIDGETS_FAMILY_BYTES", "150000")
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1), (-1.6, 1.7)],
                          learning_rate=0.02)  # fmt: skip
    w.send_family()
    assert w.family.budget == 150_000
    assert len(w.player.family_data) <= 150_000 and len(w.player.family_values) >= 7
    w.close()
