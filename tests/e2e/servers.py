"""Start and stop the Jupyter servers the browser tests talk to.

Everything here is plain Python (no pytest, no Playwright) so it can also be
used from a REPL when a test needs debugging::

    from tests.e2e.servers import isolated_jupyter_env, start_jupyter_lab
    env = isolated_jupyter_env(Path("/tmp/jx"))
    server = start_jupyter_lab(Path("/tmp/nbs"), Path("/tmp/logs"), env)
    print(server.url)        # open it in a browser
    server.stop()

Design notes
------------
* Every server runs the interpreter running pytest (``sys.executable``), with
  that interpreter's ``bin`` dir first on ``PATH``, so ``jupyter``, ``voila``
  and the ``python3`` kernel all come from the same virtualenv as the tests.
* Config, runtime, data and IPython dirs are temporary (see
  :func:`isolated_jupyter_env`): the user's settings, kernels and saved
  JupyterLab workspaces cannot leak in. Extensions and kernels installed in the
  virtualenv (``<venv>/share/jupyter``, ``<venv>/etc/jupyter``) are still found
  because Jupyter always searches ``sys.prefix``.
* Each server runs in its own process group (``start_new_session=True``).
  :meth:`ServerProcess.stop` sends SIGTERM to the group (the server then shuts
  its kernels down), and SIGKILLs whatever is left, including kernels, which
  jupyter_client starts in sessions of their own.
* stdout and stderr go to a log file; start-up failures raise with its tail.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: How long a server may take to answer after it was started. JupyterLab needs
#: 3-6 s on an idle 2-core machine; leave plenty of room for a busy CI box.
STARTUP_TIMEOUT = 90.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_bin_dir() -> Path:
    """The ``bin`` directory of the interpreter running the tests."""
    return Path(sys.executable).parent


def isolated_jupyter_env(base: Path) -> dict[str, str]:
    """Environment variables for a Jupyter process that ignores the user's setup.

    Creates ``base/{config,data,runtime,ipython}`` and writes a small config
    that turns off everything that would need the network or pop up a
    notification (news feed, update check) in JupyterLab and Notebook 7.
    """
    base = Path(base)
    dirs = {name: base / name for name in ("config", "data", "runtime", "ipython", "mpl")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    # Explicit user search paths would defeat the isolation.
    for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTERLAB_DIR", "PYTHONPATH"):
        env.pop(var, None)
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        MPLCONFIGDIR=str(dirs["mpl"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["config"] / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["config"] / "lab" / "workspaces"),
        # Search <venv>/share/jupyter before the (empty) user data dir.
        JUPYTER_PREFER_ENV_PATH="1",
        PATH=os.pathsep.join([str(venv_bin_dir()), env.get("PATH", "")]),
        PYTHONUNBUFFERED="1",
        # The kernels never need an accelerator; skip JAX's GPU/TPU probing.
        JAX_PLATFORMS=env.get("JAX_PLATFORMS", "cpu"),
    )
    env.pop("VIRTUAL_ENV", None)
    env["VIRTUAL_ENV"] = sys.prefix

    # Server-side config (highest priority: the user config dir).
    server_config = {
        "LabApp": {
            "news_url": None,
            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
            # window.jupyterapp: lets pages.py see when the kernel is really ready.
            "expose_app_in_browser": True,
        },
        "JupyterNotebookApp": {"expose_app_in_browser": True},
    }
    (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(server_config, indent=1))

    # Front-end settings shared by JupyterLab and Notebook 7.
    settings = dirs["config"] / "lab" / "user-settings" / "@jupyterlab"
    _write_json(
        settings / "apputils-extension" / "notification.jupyterlab-settings",
        # No news feed request (offline) and no toasts that could cover a widget.
        {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
    )
    return env


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


@dataclass
class ServerProcess:
    """A running server: its process, base URL and log file."""

    name: str
    proc: subprocess.Popen
    port: int
    log_path: Path
    base_path: str = "/"
    #: Files or other resources to release on stop (e.g. the log handle).
    _closers: list = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        """Base URL, always ending with ``/``, e.g. ``http://127.0.0.1:8888/``."""
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"
        return "\n".join(text.splitlines()[-lines:])

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def wait_until_ready(self, path: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Poll ``url + path`` until it answers HTTP 200; raise with the log tail if not."""
        url = self.url + path.lstrip("/")
        deadline = time.monotonic() + timeout
        last_error: object = None
        while time.monotonic() < deadline:
            if not self.is_running():
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode} before answering "
                    f"{url}.\n--- {self.log_path} (tail) ---\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        return
                    last_error = f"HTTP {resp.status}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = exc
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not answer {url} within {timeout:.0f} s (last error: "
            f"{last_error}).\n--- {self.log_path} (tail) ---\n{self.log_tail()}"
        )

    def api(self, path: str, method: str = "GET", timeout: float = 10.0) -> object:
        """Call the server's REST API (no token needed); return the decoded JSON or None."""
        req = urllib.request.Request(self.url + path.lstrip("/"), method=method)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> int:
        """Delete every session and kernel of a Jupyter server; return how many kernels.

        Used between tests, so each test's kernel (with its widgets, and maybe
        a few hundred MB of JAX) does not outlive it. Errors are ignored.
        """
        n = 0
        with contextlib.suppress(Exception):
            for session in self.api("api/sessions") or []:
                with contextlib.suppress(Exception):
                    self.api(f"api/sessions/{session['id']}", method="DELETE")
            for kernel in self.api("api/kernels") or []:
                with contextlib.suppress(Exception):
                    self.api(f"api/kernels/{kernel['id']}", method="DELETE")
                    n += 1
        return n

    def kill_kernels(self) -> int:
        """SIGKILL every kernel process of this server, as a crash would; return how many."""
        killed = 0
        for proc in _descendants(self.proc.pid):
            with contextlib.suppress(Exception):
                if "ipykernel_launcher" in " ".join(proc.cmdline()):
                    proc.kill()
                    killed += 1
        return killed

    def stop(self, grace: float = 10.0) -> None:
        """Terminate the server's process group, then kill anything left over.

        Kernels run in sessions of their own, so they are collected (with psutil,
        when available) before the server goes away, and killed if the server's
        own shutdown did not end them.
        """
        descendants = _descendants(self.proc.pid)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # The group may still hold processes whose leader has exited.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        _kill_all(descendants)
        for close in self._closers:
            with contextlib.suppress(Exception):
                close()
        self._closers.clear()


def _descendants(pid: int) -> list:
    try:
        import psutil
    except ImportError:  # psutil is a dev dependency; without it rely on the group kill
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _kill_all(procs: list, timeout: float = 5.0) -> None:
    if not procs:
        return
    import psutil

    alive = []
    for p in procs:
        try:
            if p.is_running():
                p.terminate()
                alive.append(p)
        except psutil.Error:
            pass
    _, still_alive = psutil.wait_procs(alive, timeout=timeout)
    for p in still_alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(still_alive, timeout=timeout)


def start_process(
    name: str,
    args: list[str],
    *,
    port: int,
    env: dict[str, str],
    log_path: Path,
    cwd: Path | None = None,
    base_path: str = "/",
) -> ServerProcess:
    """Start ``args`` in a new process group with output going to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - closed by ServerProcess.stop
    log.write(f"$ {' '.join(args)}\n")
    log.flush()
    proc = subprocess.Popen(
        args,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=str(cwd) if cwd else None,
        start_new_session=True,
    )
    return ServerProcess(
        name=name,
        proc=proc,
        port=port,
        log_path=log_path,
        base_path=base_path,
        _closers=[log.close],
    )


def start_jupyter(
    app: str,
    root_dir: Path,
    log_dir: Path,
    env: dict[str, str],
    *,
    port: int | None = None,
    extra_args: list[str] = (),
    timeout: float = STARTUP_TIMEOUT,
) -> ServerProcess:
    """Start ``jupyter <app>`` (``lab`` or ``notebook``) serving ``root_dir``.

    Returns once ``/api/status`` answers. No token, no password, no XSRF check,
    bound to 127.0.0.1, ``--allow-root`` (CI runs as root).
    """

    def build(port: int) -> list[str]:
        return [
            sys.executable, "-m", "jupyter", app,
            "--allow-root",
            "--no-browser",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root_dir}",
            *extra_args,
        ]  # fmt: skip

    return _start_server(
        f"jupyter {app}", build, port=port, env=env, log_dir=log_dir,
        log_stem=f"jupyter-{app}", cwd=root_dir, ready_path="api/status", timeout=timeout,
    )  # fmt: skip


def _start_server(
    name: str,
    build_args,
    *,
    port: int | None,
    env: dict[str, str],
    log_dir: Path,
    log_stem: str,
    cwd: Path,
    ready_path: str,
    timeout: float,
) -> ServerProcess:
    """Start a server and wait for ``ready_path``; on a port clash with a port we
    picked ourselves (another process took it meanwhile), try another port."""
    attempts = 1 if port else 3
    for attempt in range(attempts):
        p = port or free_port()
        server = start_process(
            name, build_args(p), port=p, env=env, log_path=log_dir / f"{log_stem}-{p}.log", cwd=cwd
        )
        try:
            server.wait_until_ready(ready_path, timeout=timeout)
            return server
        except RuntimeError:
            server.stop()
            clash = "in use" in server.log_tail().lower()
            if attempt + 1 < attempts and clash:
                continue
            raise
    raise AssertionError("unreachable")


def start_jupyter_lab(
    root_dir: Path, log_dir: Path, env: dict[str, str], **kwargs
) -> ServerProcess:
    """``jupyter lab`` on ``root_dir``: JupyterLab at ``lab/tree/NAME.ipynb``.

    The same server also answers ``notebooks/NAME.ipynb`` (Notebook 7) and
    ``voila/render/NAME.ipynb`` (Voilà's server extension), but use
    :func:`start_notebook7` for Notebook 7: once JupyterLab has opened a notebook,
    Notebook 7 pages from the same server raise "Command 'filebrowser:open-path'
    not registered" and get HTTP 403 for a font (jupyter_server caches static
    files by bare file name, and JupyterLab and Notebook ship fonts with the same
    hashed names). Both are upstream quirks, not bugs of the page under test.
    """
    return start_jupyter("lab", root_dir, log_dir, env, **kwargs)


def start_notebook7(root_dir: Path, log_dir: Path, env: dict[str, str], **kwargs) -> ServerProcess:
    """``jupyter notebook`` (Notebook 7) on ``root_dir``: notebooks at ``notebooks/NAME.ipynb``."""
    return start_jupyter("notebook", root_dir, log_dir, env, **kwargs)


def start_voila(
    notebook: Path,
    log_dir: Path,
    env: dict[str, str],
    *,
    port: int | None = None,
    extra_args: list[str] = (),
    timeout: float = STARTUP_TIMEOUT,
) -> ServerProcess:
    """Start standalone Voilà on one notebook (served at ``/``) or on a directory.

    This is Voilà with its defaults (``make demo`` and ``make workshop`` add the
    options of :func:`start_served`), plus ``--show_tracebacks=True``
    so that a failing cell shows its traceback in the page (and in test
    failures) instead of a generic message. Returns once Voilà's static files
    answer; the notebook itself is executed only when a page requests ``/``
    (every request starts a new kernel), so readiness is not checked there.
    """
    notebook = Path(notebook)

    def build(port: int) -> list[str]:
        return [
            sys.executable, "-m", "voila", str(notebook),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
            "--show_tracebacks=True",
            *extra_args,
        ]  # fmt: skip

    return _start_server(
        "voila", build, port=port, env=env, log_dir=log_dir, log_stem=f"voila-{notebook.stem}",
        cwd=notebook.parent if notebook.is_file() else notebook,
        ready_path="voila/static/voila.js", timeout=timeout,
    )  # fmt: skip


def start_served(
    notebook: Path,
    log_dir: Path,
    env: dict[str, str],
    *,
    students: int,
    cache_dir: Path,
    timeout: float = STARTUP_TIMEOUT,
) -> ServerProcess:
    """Serve ``notebook`` as ``make workshop`` does (``jaxgrad-widgets serve``), on
    127.0.0.1 with a pool of ``students`` preheated kernels."""
    notebook = Path(notebook)

    def build(port: int) -> list[str]:
        return [
            sys.executable, "-m", "jaxgrad_widgets.serve", "serve", str(notebook),
            f"--students={students}", f"--port={port}", f"--cache-dir={cache_dir}",
        ]  # fmt: skip

    return _start_server(
        "served", build, port=None, env=env, log_dir=log_dir,
        log_stem=f"served-{notebook.stem}", cwd=notebook.parent,
        ready_path="voila/static/voila.js", timeout=timeout,
    )  # fmt: skip
