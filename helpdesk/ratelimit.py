"""Attempts per client address (or per API client) in a fixed window, counted in the cache.

With the default per-process memory cache each worker process counts on its
own; with Redis (REDIS_URL) the count is shared by every process.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request):
    header = settings.FIRSTLINE_CLIENT_IP_HEADER
    if header:
        # In a list (X-Forwarded-For) the last entry is the one our own proxy wrote;
        # the ones before it come from the client and prove nothing.
        value = request.META.get(header, "").split(",")[-1].strip()
        if value:
            return value
    return request.META.get("REMOTE_ADDR") or "unknown"


def allow(scope, request):
    """Count one attempt at `scope` from this request's client; False once the window's limit is passed."""
    return allow_for(scope, client_ip(request))


def allow_for(scope, who):
    """Count one attempt at `scope` by `who` (an address, an API client's id); False past the window's limit."""
    limit, window = settings.FIRSTLINE_RATE_LIMITS[scope]
    if not limit:
        return True
    client = hashlib.sha256(str(who).encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{client}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter was evicted between add and incr
        cache.set(key, 1, timeout=window + 60)
        count = 1
    return count <= limit
