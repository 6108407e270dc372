"""Command families of the `nbsec` CLI, one module each; `nbsec.cli.COMMANDS` lists their commands.

`_group` (the error-handling group, exit codes) and `_output` (the shared output and policy
options, how a Report is printed or written) are what every family builds on.
"""
