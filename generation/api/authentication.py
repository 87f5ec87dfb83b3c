"""API tokens: django-rest-knox's hashed tokens behind the header clients already send.

`Authorization: Token <64 hex characters>`. The database keeps a SHA-512 digest of each token
and its first 15 characters (to find the row), never the token: a copy of the database or a
backup opens nothing. `manage.py api_token USER` issues one and shows it once (docs/api.md).

Two additions to knox's class:
- a token that is not 64 hex characters is refused as invalid before any query (knox decodes
  it as UTF-8, a 500 for other bytes, and queries with it: PostgreSQL refuses a NUL byte);
- wrong tokens count against the anonymous rate (generation.api.throttles), 429 past it;
- only the token used is checked for expiry: knox also reads every other token of the user on
  each request to delete the expired ones (one more query per request); `api_token` deletes a
  user's expired tokens when it issues one.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth
from knox.settings import knox_settings
from rest_framework.exceptions import AuthenticationFailed, Throttled

from generation.api.throttles import FailedTokenThrottle

TOKEN_PATTERN = re.compile(rf"[0-9a-f]{{{knox_settings.AUTH_TOKEN_CHARACTER_LENGTH}}}")


class TokenAuthentication(auth.TokenAuthentication):
    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            throttle = FailedTokenThrottle()
            if not throttle.allow_request(request, None):
                raise Throttled(wait=throttle.wait()) from None
            raise

    def authenticate_credentials(self, token: bytes):
        # DRF hands the header over as ISO-8859-1 bytes, so this decoding cannot fail.
        if not TOKEN_PATTERN.fullmatch(token.decode("iso-8859-1")):
            raise AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        """Delete the token if it has expired; True when it has."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI schema's "tokenAuth", as DRF's own token class had it."""

    target_class = "generation.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=knox_settings.AUTH_HEADER_PREFIX
        )
