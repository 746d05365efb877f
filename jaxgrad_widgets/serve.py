"""Serve a notebook's dashboards to a class: one Voilà server, set up to hold a room.

``jaxgrad-widgets serve examples/dashboard.ipynb --students 30`` runs Voilà on the
notebook with the options that held up with a class arriving at once:

- a **preheated pool** of kernels, one per expected student: each has run the notebook
  before anyone asks, so a page arrives with its dashboards already computed;
- kernels talk to the server over **ipc**: 30 kernels starting at once on TCP collided
  on ports (``Address already in use``) and whole pool fills failed;
- a **60 s wait for a cell's output** (nbclient's default of 4 s ran out under load,
  and students silently got some of the dashboards);
- the pool is **refilled after a delay** (``--fill-delay``, default 120 s): Voilà
  refills it all at once (it offers no staggering), so the refill waits until the
  class has settled in rather than competing with its first minutes of work;
- a **dead kernel is noticed within a second** (the server checks every second, not
  every three), so its dashboards say so within two;
- kernels whose page went away are **shut down after 15 idle minutes** (Voilà's page
  cannot shut its kernel down on a reload: every reload would otherwise leave one);
- **JAX's persistent compilation cache** is shared by every kernel of the server
  (compiled once, loaded by the others; small compilations included), and filled
  before the pool starts by **one run of the notebook** (a pool's kernels start at
  once: on an empty cache each would compile every program itself);
- the runs a dashboard hands the browser ahead of the learning-rate slider are held to
  **150 KB** (3 MB in a notebook): a page reaches each student whole, through the one
  server, and a dashboard's whole state stays under 400 KB;
- Notebook 7's JupyterLab extension, which Voilà cannot load (it logged a module
  federation error in every page), is left out.

Without ``--students`` (``make demo``) the same options serve one person: a pool of one.

Example:
    >>> from pathlib import Path
    >>> plan = ServePlan(Path("examples/dashboard.ipynb"), students=30)
    >>> command = plan.voila_command()
    >>> "--pool_size=30" in command and "--KernelManager.transport=ipc" in command
    True
    >>> plan.kernel_environment({})["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]
    '0'
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Voilà's own default port (``make demo`` serves there).
DEFAULT_PORT = 8866
#: The largest class one server is set up for (each kernel holds a few hundred MB).
MAX_STUDENTS = 200
#: Seconds a cell may take to show its output before Voilà gives up on the notebook.
IOPUB_TIMEOUT = 60
#: Seconds between the server's checks that each kernel is alive.
KERNEL_CHECK_SECONDS = 1.0
#: Idle seconds after which a kernel without a page is shut down (and how often to look).
CULL_IDLE_SECONDS = 900
CULL_INTERVAL_SECONDS = 60
#: The variable that sets the learning-rate family's byte budget in a kernel (read by
#: ``widgets.family.family_budget``), and the budget for a class.
FAMILY_BYTES_VARIABLE = "JAXGRAD_WIDGETS_FAMILY_BYTES"
CLASS_FAMILY_BYTES = 150_000
#: JupyterLab extensions Voilà's page cannot load.
UNLOADABLE_EXTENSIONS = ("@jupyter-notebook/lab-extension",)
#: Seconds the cache-warming kernel stays idle after the notebook ran: dashboards
#: compute what they hand the browser ahead of the slider once the kernel is idle, and
#: those programs belong in the cache too.
WARM_IDLE_SECONDS = 3.0


def default_cache_dir() -> Path:
    """Where the kernels share compiled JAX programs: ``$XDG_CACHE_HOME/jaxgrad_widgets``.

    Example:
        >>> default_cache_dir().name
        'jax'
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jaxgrad_widgets" / "jax"


@dataclass(frozen=True)
class ServePlan:
    """How one notebook is served: the Voilà command and the kernels' environment.

    Args:
        notebook: the notebook whose dashboards are served.
        students: how many students arrive at once (the preheated pool's size).
        port: the port; ``ip``: the address to listen on (``0.0.0.0`` for a room).
        fill_delay: seconds before a used pool kernel is replaced.
        cache_dir: JAX's persistent compilation cache (shared by every kernel).

    Example:
        >>> plan = ServePlan(Path("lesson.ipynb"), students=3, ip="0.0.0.0")
        >>> [a for a in plan.voila_command() if a.startswith(("--Voila.ip", "--pool"))]
        ['--Voila.ip=0.0.0.0', '--pool_size=3']
    """

    notebook: Path
    students: int = 1
    port: int = DEFAULT_PORT
    ip: str = "127.0.0.1"
    fill_delay: float = 120.0
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if isinstance(self.students, bool) or not isinstance(self.students, int):
            raise ValueError(f"students must be a whole number, not {self.students!r}")
        if not 1 <= self.students <= MAX_STUDENTS:
            raise ValueError(f"students must be from 1 to {MAX_STUDENTS}, not {self.students}")
        if not 1 <= int(self.port) <= 65535:
            raise ValueError(f"port must be from 1 to 65535, not {self.port}")
        if not self.fill_delay >= 0:
            raise ValueError(f"fill delay must be 0 seconds or more, not {self.fill_delay}")

    def voila_command(self, python: str = sys.executable) -> list[str]:
        """The command line that serves the notebook."""
        return [
            python, "-m", "voila", str(self.notebook),
            "--no-browser",
            f"--port={int(self.port)}",
            f"--Voila.ip={self.ip}",
            "--preheat_kernel=True",
            f"--pool_size={self.students}",
            f"--VoilaKernelManager.fill_delay={float(self.fill_delay)}",
            "--KernelManager.transport=ipc",
            f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}",
            f"--KernelRestarter.time_to_dead={KERNEL_CHECK_SECONDS}",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
            *(f"--VoilaConfiguration.extension_denylist={name}" for name in UNLOADABLE_EXTENSIONS),
        ]  # fmt: skip

    def kernel_environment(self, base: Mapping[str, str] = os.environ) -> dict[str, str]:
        """The server's environment, which its kernels inherit: JAX's shared cache and
        the family's budget for a class."""
        env = dict(base)
        cache = self.cache_dir if self.cache_dir is not None else default_cache_dir()
        env.setdefault("JAX_COMPILATION_CACHE_DIR", str(cache))
        # Every compilation counts: a dashboard's are small (tens of milliseconds).
        env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        env.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
        env.setdefault(FAMILY_BYTES_VARIABLE, str(CLASS_FAMILY_BYTES))
        return env


def warm_cache(notebook: Path, env: Mapping[str, str], idle: float = WARM_IDLE_SECONDS) -> float:
    """Run ``notebook`` once in a kernel with ``env`` (JAX's shared cache) and stay
    ``idle`` seconds; returns the seconds it took.

    Raises:
        RuntimeError: the notebook failed, or its kernel did (the error's name and
            message, in one line).

    Example:
        >>> import nbformat, tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> cell = nbformat.v4.new_code_cell("import jax; jax.jit(lambda x: x + 1)(1.0)")
        >>> nbformat.write(nbformat.v4.new_notebook(cells=[cell]), folder / "lesson.ipynb")
        >>> env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(folder / "cache"),
        ...        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
        >>> seconds = warm_cache(folder / "lesson.ipynb", env, idle=0.0)
        >>> any((folder / "cache").iterdir())
        True
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    began = time.perf_counter()
    lesson = nbformat.read(notebook, as_version=4)
    # Idle, as far as the dashboards can tell: the loop runs their deferred work.
    lesson.cells.append(nbformat.v4.new_code_cell(f"import asyncio\nawait asyncio.sleep({idle})"))
    kernel = lesson.metadata.get("kernelspec", {}).get("name", "python3")  # as Voilà picks
    client = NotebookClient(lesson, timeout=IOPUB_TIMEOUT * 5, kernel_name=kernel,
                            resources={"metadata": {"path": str(notebook.parent)}})  # fmt: skip
    try:
        client.execute(env=dict(env))
    except CellExecutionError as error:  # the notebook's own error, said in one line
        raise RuntimeError(f"{notebook.name} failed: {error.ename}: {error.evalue}") from None
    except Exception as error:  # no kernel, a timeout
        raise RuntimeError(f"{notebook.name} failed: {type(error).__name__}: {error}") from None
    return time.perf_counter() - began


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxgrad-widgets",
        description="Serve a notebook's jaxgrad_widgets dashboards with Voilà.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve one notebook's dashboards to a class (one Voilà server)",
        description=__doc__.split("\n\n", 1)[0],
    )  # fmt: skip
    serve.add_argument("notebook", type=Path, help="the notebook to serve")
    serve.add_argument(
        "--students", type=int, default=1,
        help="how many arrive at once: the preheated pool (default 1)",
    )  # fmt: skip
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="default 8866")
    serve.add_argument(
        "--ip", default="127.0.0.1",
        help="address to listen on; 0.0.0.0 serves the room (no login!)",
    )  # fmt: skip
    serve.add_argument(
        "--fill-delay", type=float, default=120.0,
        help="seconds before a used kernel is replaced (default 120)",
    )  # fmt: skip
    serve.add_argument(
        "--cache-dir", type=Path, default=None,
        help=f"JAX's shared compilation cache (default {default_cache_dir()})",
    )  # fmt: skip
    serve.add_argument(
        "--no-warm", action="store_true",
        help="skip the run that fills JAX's cache before a pool of more than one starts",
    )  # fmt: skip
    serve.add_argument(
        "--dry-run", action="store_true", help="print the command instead of running it"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``jaxgrad-widgets serve NOTEBOOK [--students N] ...``: run Voilà as planned.

    Example:
        >>> main(["serve", "examples/dashboard.ipynb", "--students", "0"])
        jaxgrad-widgets: students must be from 1 to 200, not 0
        2
    """
    args = _parser().parse_args(argv)
    try:
        plan = ServePlan(args.notebook, students=args.students, port=args.port, ip=args.ip,
                         fill_delay=args.fill_delay, cache_dir=args.cache_dir)  # fmt: skip
    except ValueError as error:
        print(f"jaxgrad-widgets: {error}")
        return 2
    if not plan.notebook.is_file():
        print(f"jaxgrad-widgets: no notebook at {plan.notebook}")
        return 2
    command = plan.voila_command()
    if args.dry_run:
        print(" ".join(command))
        return 0
    if importlib.util.find_spec("voila") is None:
        print('jaxgrad-widgets: Voilà is not installed: pip install "jaxgrad-widgets[demo]"')
        return 2
    env = plan.kernel_environment()
    Path(env["JAX_COMPILATION_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    if plan.students > 1 and not args.no_warm:
        print(f"jaxgrad-widgets: filling JAX's compilation cache: {plan.notebook.name} runs once")
        sys.stdout.flush()
        try:
            print(f"jaxgrad-widgets: done in {warm_cache(plan.notebook, env):.1f} s")
        except RuntimeError as error:  # Voilà will show the same error in every page
            print(f"jaxgrad-widgets: {error}; serving it anyway")
    sys.stdout.flush()
    os.execvpe(command[0], command, env)  # Voilà takes over this process (and Ctrl-C)


if __name__ == "__main__":
    sys.exit(main())
