"""Airflow: a nightly nbsec assessment of every model in the registry (one task, a Dask cluster does the work).

Copy into the DAGs folder. The task fails when `nbsec run` exits non-zero:
1 = findings at or above --fail-on, 2 = the assessment itself failed (its
Report and executed notebook are still written to the output folder).
"""

from __future__ import annotations

import datetime as dt

from airflow import DAG
from airflow.operators.bash import BashOperator

PROJECT = "/srv/ml"
NBSEC = f"{PROJECT}/.venv/bin/nbsec"
DASK_SCHEDULER = "tcp://dask-scheduler.internal:8786"

with DAG(
    dag_id="nbsec_nightly_assessment",
    description="nbsec model artifact assessment over the registry, with run history",
    schedule="30 2 * * *",
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "execution_timeout": dt.timedelta(hours=2)},
    tags=["security", "nbsec"],
) as dag:
    assess = BashOperator(
        task_id="assess_models",
        cwd=PROJECT,
        env={"OMP_NUM_THREADS": "1"},
        append_env=True,
        bash_command=(
            f"{NBSEC} run model_artifact_assessment --matrix targets.yaml "
            f"--dask-scheduler {DASK_SCHEDULER} "
            "-o reports/nightly/{{ ds }} -f html,json,sarif --timeout 3600 --quiet"
        ),
    )
    history = BashOperator(
        task_id="trend_plot",
        cwd=PROJECT,
        bash_command=f"{NBSEC} runs history --plot reports/nightly/{{{{ ds }}}}/trend.html",
        trigger_rule="all_done",  # plot the trend even when the assessment found something
    )
    assess >> history
