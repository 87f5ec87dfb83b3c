"""The client's address, as the login lockout (django-axes) and the API throttles count it.

Without a reverse proxy (YENNI_PROXY_COUNT=0, the default) it is the connection's address and
X-Forwarded-For is ignored: any client can write that header. Behind N proxies that each append
the address they saw, it is the N-th address from the end of X-Forwarded-For, the one the
outermost proxy of ours wrote; the addresses before it are the client's own words. DRF's
NUM_PROXIES, set from the same setting, picks the same entry.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "YENNI_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-min(count, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Not an address: a proxy that does not write the header as we were told.
        return remote
