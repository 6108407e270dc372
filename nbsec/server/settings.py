"""The server extension's settings, set like any Jupyter setting.

    c.NbsecServer.scan_timeout = 120          # jupyter_server_config.py
    jupyter server --NbsecServer.max_concurrent_scans=4

A traitlets Configurable reads the `NbsecServer` section of the server's own config, so the limits
live with the rest of the server's configuration, and a typo'd value fails loudly at start-up.
"""

from __future__ import annotations

from typing import Any

from traitlets import Float, Int, TraitError, validate
from traitlets.config import Configurable

SCAN_TIMEOUT_S = 300.0
MAX_CONCURRENT_SCANS = 2
MAX_BODY_BYTES = 64 * 1024


class NbsecServer(Configurable):
    """Limits of nbsec's REST API in a Jupyter server."""

    scan_timeout = Float(
        SCAN_TIMEOUT_S,
        help="Seconds a scan request may take (waiting for a slot included) before it is answered with 504.",
    ).tag(config=True)
    max_concurrent_scans = Int(
        MAX_CONCURRENT_SCANS,
        help="Scans running at once; each holds a thread and a CPU core. Others wait for a free slot.",
    ).tag(config=True)
    max_body_bytes = Int(MAX_BODY_BYTES, help="Largest request body accepted (413 beyond it).").tag(config=True)

    @validate("scan_timeout")
    def _positive_timeout(self, proposal: Any) -> float:
        if proposal["value"] <= 0:
            raise TraitError("NbsecServer.scan_timeout must be more than 0 seconds")
        return float(proposal["value"])

    @validate("max_concurrent_scans")
    def _at_least_one_scan(self, proposal: Any) -> int:
        if proposal["value"] < 1:
            raise TraitError("NbsecServer.max_concurrent_scans must be at least 1")
        return int(proposal["value"])

    @validate("max_body_bytes")
    def _room_for_a_request(self, proposal: Any) -> int:
        if proposal["value"] < 1024:
            raise TraitError("NbsecServer.max_body_bytes must be at least 1024")
        return int(proposal["value"])
