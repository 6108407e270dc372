"""A Jupyter Authorizer for the server-extension tests, imported by the server the tests start.

It plays several users with one token: each request names the resources its "user" may not use in
the X-Nbsec-Test-Deny header ("nbsec", "contents", comma-separated), and everything else is allowed.
So one server shows both sides: the same request answered with the header refused, without it served.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import Authorizer

DENY_HEADER = "X-Nbsec-Test-Deny"


class HeaderDenyAuthorizer(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        denied = {name.strip() for name in handler.request.headers.get(DENY_HEADER, "").split(",")}
        return resource not in denied
