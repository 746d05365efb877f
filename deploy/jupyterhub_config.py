"""JupyterHub for a class: every student logs in and gets their own Voilà dashboard.

Each student's single-user server runs the lesson's dashboards with Voilà (its
Jupyter server extension, installed with ``jaxgrad-widgets[demo]``): the hub starts
one server per student, the proxy routes each student to their own, and a kernel
that dies there is said on that student's page only.

Run it on one machine (``pip install "jaxgrad-widgets[demo]" jupyterhub`` and
``npm install -g configurable-http-proxy``)::

    JGW_LESSON=/srv/lessons/dashboard.ipynb jupyterhub -f deploy/jupyterhub_config.py

and give the students http://<this machine>:8000/. Choose an authenticator for your
school (``c.JupyterHub.authenticator_class``: PAM accounts by default, or an OAuth,
LTI or LDAP one). With ``JGW_HUB_TESTING=1`` anyone may log in with any name and
every server runs as the hub's own user: the repository's smoke test
(``tests/e2e/test_jupyterhub.py``) runs this file that way; never serve a class so.

Settings from the environment:
    JGW_LESSON: the notebook every student opens (required).
    JGW_HUB_IP, JGW_HUB_PORT: where the hub listens (default 0.0.0.0:8000).
    JGW_HUB_DIR: where the hub keeps its database and secrets (default: the working
        directory).
    JGW_CACHE_DIR: JAX's compilation cache, shared by every student's kernels
        (default ~/.cache/jaxgrad_widgets/jax of the hub's user).
    JGW_HUB_TESTING: "1" for the smoke test's open, single-user set-up.
    JGW_PROXY: the configurable-http-proxy command (default: found on PATH).
"""

import json
import os
import sys
from pathlib import Path

from jaxgrad_widgets.serve import KERNEL_CHECK_SECONDS, UNLOADABLE_EXTENSIONS, ServePlan

c = get_config()  # noqa: F821 - JupyterHub's config loader provides it

lesson = Path(os.environ["JGW_LESSON"]).resolve()
hub_dir = Path(os.environ.get("JGW_HUB_DIR", os.getcwd()))

c.JupyterHub.ip = os.environ.get("JGW_HUB_IP", "0.0.0.0")
c.JupyterHub.port = int(os.environ.get("JGW_HUB_PORT", "8000"))
c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "jupyterhub-proxy.pid")
if "JGW_PROXY" in os.environ:
    c.ConfigurableHTTPProxy.command = [os.environ["JGW_PROXY"]]

# Every student starts on the lesson's dashboards, rendered by Voilà.
c.Spawner.notebook_dir = str(lesson.parent)
c.Spawner.default_url = f"/voila/render/{lesson.name}"
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
# Their kernels share JAX's compiled programs and hold the class's family budget: the
# kernel settings of `jaxgrad-widgets serve`.
cache = os.environ.get("JGW_CACHE_DIR")
plan = ServePlan(lesson, cache_dir=Path(cache) if cache else None)
c.Spawner.environment = plan.kernel_environment({})
# The students' servers' own settings, in a Jupyter config file of theirs: a kernel that
# stops is noticed within a second (and said on the page); Voilà leaves out Notebook 7's
# lab extension, which it cannot load (an empty allowlist beside the denylist: Voilà's
# server extension needs both).
server_config = hub_dir / "singleuser-config"
server_config.mkdir(parents=True, exist_ok=True)
(server_config / "jupyter_server_config.json").write_text(json.dumps({
    "KernelRestarter": {"time_to_dead": KERNEL_CHECK_SECONDS},
    "VoilaConfiguration": {"extension_denylist": list(UNLOADABLE_EXTENSIONS),
                           "extension_allowlist": []},
}, indent=1))  # fmt: skip
c.Spawner.environment["JUPYTER_CONFIG_PATH"] = str(server_config)
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

if os.environ.get("JGW_HUB_TESTING") == "1":
    c.JupyterHub.authenticator_class = "dummy"
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(hub_dir / "home" / "{username}")
    if os.geteuid() == 0:  # a test machine's root: the servers run as the hub's user
        c.Spawner.args.append("--allow-root")
    # The test's isolated Jupyter set-up (its config, data and runtime directories).
    c.Spawner.env_keep.extend(["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                               "JUPYTER_PREFER_ENV_PATH", "IPYTHONDIR", "MPLCONFIGDIR",
                               "JAX_PLATFORMS"])  # fmt: skip
