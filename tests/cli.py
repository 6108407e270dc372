"""The one way CLI tests drive `nbsec` in-process: click's CliRunner on the real click app.

Every outcome of the CLI is an exit code. Anything else escaping (an exception that is not
SystemExit) is a bug in the CLI, so the test fails with the CLI's traceback, not only the
exception's repr.
"""

from __future__ import annotations

import traceback

import pytest
from click.testing import CliRunner, Result


def invoke(*args: object, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """Run `nbsec ARGS...` (each arg passed through str()), with extra `env` and stdin `input`."""
    from nbsec.cli import cli  # at call time: the click app is built on first use, as `nbsec` does

    argv = [str(a) for a in args]
    result = CliRunner().invoke(cli, argv, env=env, input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        trace = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(f"`nbsec {' '.join(argv)}` crashed instead of exiting with a code:\n{trace}", pytrace=False)
    return result
