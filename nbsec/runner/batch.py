"""Batches: one assessment per target of a matrix file, on a local process pool or a Dask cluster.

A matrix file (YAML, safe_load only):

    parameters:            # shared by every target (optional)
      workspace: nbsec-demo
    targets:
      - name: base-model   # a folder name for its outputs; default target-N
        parameters: {model_paths: [checkpoints/base.pt]}
      - name: finetuned
        model_paths: [checkpoints/finetuned.pt]   # parameters may also sit beside the name

Both executors run the same picklable `run_job`, so a Dask cluster gives the
same findings as the local pool; only where the work happens differs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nbsec.errors import UsageError
from nbsec.runner.job import Job, JobResult, run_job
from nbsec.runner.params import Parameter, check_names, check_value, load_yaml_mapping

MAX_TARGETS = 10_000
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

Done = Callable[[JobResult], None]


def safe_name(name: str) -> str:
    """A target name usable as one folder name: no separators, no leading dots."""
    cleaned = _SAFE_NAME.sub("-", name).strip("-.")
    return cleaned[:100] or "target"


def load_matrix(path: Path, declared: Sequence[Parameter], notebook: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, parameters) per target; names made unique and folder-safe; parameter names checked."""
    data = load_yaml_mapping(path, "matrix file")
    unknown_keys = sorted(set(data) - {"parameters", "targets"})
    if unknown_keys:
        raise UsageError(
            f"{path}: unknown key(s) {', '.join(unknown_keys)} in the matrix file",
            "a matrix file has `parameters:` (shared, optional) and `targets:` (a list)",
        )
    shared = data.get("parameters") or {}
    targets = data.get("targets")
    if not isinstance(shared, dict):
        raise UsageError(f"{path}: `parameters` must be a mapping", "write `parameters: {workspace: nbsec-demo}`")
    if not isinstance(targets, list) or not targets:
        raise UsageError(f"{path}: `targets` must be a non-empty list", "list one mapping per target under `targets:`")
    if len(targets) > MAX_TARGETS:
        raise UsageError(f"{path}: {len(targets)} targets", f"split the matrix; at most {MAX_TARGETS} per file")
    jobs: list[tuple[str, dict[str, Any]]] = []
    used: set[str] = set()
    for number, entry in enumerate(targets, start=1):
        if not isinstance(entry, dict):
            raise UsageError(f"{path}: target {number} is not a mapping", "write `- name: x` and its parameters")
        entry = dict(entry)
        name = safe_name(str(entry.pop("name", f"target-{number}")))
        nested = entry.pop("parameters", None)
        if nested is not None and not isinstance(nested, dict):
            raise UsageError(f"{path}: target {name}: `parameters` must be a mapping", "write `parameters: {k: v}`")
        params = {**shared, **(nested or {}), **entry}
        params = {str(k): check_value(f"{path}: target {name}: {k}", v) for k, v in params.items()}
        check_names(params, declared, notebook)
        unique, suffix = name, 2
        while unique in used:
            unique, suffix = f"{name}-{suffix}", suffix + 1
        used.add(unique)
        jobs.append((unique, params))
    return jobs


def run_local(jobs: Sequence[Job], workers: int, done: Done | None = None) -> list[JobResult]:
    """Run the jobs on a pool of `workers` local processes; results in the jobs' order."""
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(run_job(job))
            if done is not None:
                done(results[-1])
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: a fresh interpreter per worker, no inherited threads or kernel sockets from this process.
    context = multiprocessing.get_context("spawn")
    by_future = {}
    finished: dict[str, JobResult] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        for job in jobs:
            by_future[pool.submit(run_job, job)] = job.name
        for future in as_completed(by_future):
            result = future.result()
            finished[result.name] = result
            if done is not None:
                done(result)
    return [finished[job.name] for job in jobs]


def run_dask(jobs: Sequence[Job], address: str, done: Done | None = None) -> list[JobResult]:
    """Run the jobs on the Dask distributed scheduler at `address`; results in the jobs' order."""
    import importlib

    try:
        # Typed as Any on purpose: distributed's API has no annotations for mypy's strict mode.
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise UsageError(
            "--dask-scheduler needs Dask distributed, which is not installed",
            "install it with `pip install 'nbsec[dask]'`, or drop --dask-scheduler to use local processes",
        ) from None
    try:
        client = distributed.Client(address, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(
            f"--dask-scheduler {address}: cannot connect ({exc})",
            "check the address (tcp://HOST:8786) and that the scheduler is running",
        ) from None
    try:
        futures = client.map(run_job, list(jobs), pure=False)
        finished: dict[str, JobResult] = {}
        for future in distributed.as_completed(futures):
            result: JobResult = future.result()
            finished[result.name] = result
            if done is not None:
                done(result)
    finally:
        client.close()
    return [finished[job.name] for job in jobs]
