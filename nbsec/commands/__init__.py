"""Command families of the `nbsec` CLI; each module adds its commands to `nbsec.cli.cli` on import."""
