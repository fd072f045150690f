"""Rate limit of the API: per token (each token its own budget), per user for the
browser's session; counted in the project's cache (Redis when configured)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        # Read at each request, so that a deployment (or a test) may change it.
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # refused before (401): nothing to count
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def wait(self):
        wait = super().wait()
        return None if wait is None else max(1, int(wait))
