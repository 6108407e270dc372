"""Who ran what, where and with which code: the context every lineage event records.

- Code identity: the git commit and whether the work tree is dirty (a `git`
  subprocess bounded to 2 s, cached for a few seconds so batched recording
  does not fork per event); in IPython also the notebook path and the SHA-256
  of the running cell's source; for a decorated function its qualified name
  and the SHA-256 of its source.
- Environment: user, host, Python, and the versions of nbsec and of the ML
  packages this process has imported (never importing one to ask).
"""

from __future__ import annotations

import getpass
import hashlib
import os
import platform
import socket
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

GIT_TIMEOUT_S = 2.0
CACHE_SECONDS = 5.0

# Import name -> distribution name, for the packages whose versions matter to reproduce a result.
TRACKED_PACKAGES = {
    "numpy": "numpy",
    "pandas": "pandas",
    "torch": "torch",
    "sklearn": "scikit-learn",
    "scipy": "scipy",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "transformers": "transformers",
    "datasets": "datasets",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "polars": "polars",
    "pyarrow": "pyarrow",
}

_git_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_version_cache: dict[str, str | None] = {}
_static_env: dict[str, Any] = {}


def _run_git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_identity(root: Path) -> dict[str, Any]:
    """{"git_commit": sha, "git_dirty": bool} for the repository holding `root`, or {} outside one."""
    key = os.path.abspath(root)
    now = time.monotonic()
    cached = _git_cache.get(key)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return dict(cached[1])
    commit = _run_git(root, "rev-parse", "HEAD")
    info: dict[str, Any] = {}
    if commit:
        status = _run_git(root, "status", "--porcelain", "--untracked-files=no")
        info = {"git_commit": commit, "git_dirty": bool(status)} if status is not None else {"git_commit": commit}
    _git_cache[key] = (now, info)
    return dict(info)


def _ipython_cell() -> dict[str, Any]:
    """The notebook (when the frontend tells the kernel) and the SHA-256 of the cell now running."""
    module = sys.modules.get("IPython")
    if module is None:
        return {}
    shell = module.get_ipython()
    if shell is None:
        return {}
    out: dict[str, Any] = {}
    namespace = shell.user_ns
    notebook = namespace.get("__vsc_ipynb_file__") or namespace.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    if notebook:
        out["notebook"] = str(notebook)
    history = namespace.get("In")
    if isinstance(history, list) and history:  # IPython stores the cell before running it
        source = str(history[-1])
        out["cell_sha256"] = hashlib.sha256(source.encode("utf-8")).hexdigest()
        count = getattr(shell, "execution_count", None)
        if isinstance(count, int):
            out["execution_count"] = count
    return out


def _script() -> dict[str, Any]:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.isfile(path):
        return {}
    try:
        data = Path(path).read_bytes()
    except OSError:
        return {"script": os.path.abspath(path)}
    return {"script": os.path.abspath(path), "script_sha256": hashlib.sha256(data).hexdigest()}


def code_identity(root: Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Git commit and dirty flag, plus the notebook cell or the script that is running."""
    code = git_identity(root)
    cell = _ipython_cell()
    code.update(cell if cell else _script())
    if extra:
        code.update(extra)
    return code


def function_identity(func: Any) -> dict[str, Any]:
    """Qualified name and source SHA-256 of a decorated function (source may be unavailable)."""
    import inspect

    out: dict[str, Any] = {"function": f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}"}
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return out
    out["function_sha256"] = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return out


def _version(dist: str) -> str | None:
    if dist not in _version_cache:
        try:
            _version_cache[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            _version_cache[dist] = None
    return _version_cache[dist]


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in some containers
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def environment() -> dict[str, Any]:
    """User, host, Python and the versions of nbsec and the imported ML packages."""
    if not _static_env:
        from nbsec._version import __version__

        _static_env.update(
            user=_user(),
            host=socket.gethostname(),
            python=platform.python_version(),
            platform=f"{platform.system()}-{platform.machine()}",
            nbsec=__version__,
        )
    packages = {}
    for module_name, dist in TRACKED_PACKAGES.items():
        if module_name in sys.modules:
            version = _version(dist)
            if version:
                packages[dist] = version
    return {**_static_env, "pid": os.getpid(), "packages": packages}
