"""Share links for agencies: a secret token in the URL, only its hash in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db.models import F
from django.utils import timezone

from generation.models import Brief, ShareLink

# 32 random bytes: 256 bits, well over the 128 the product asks for.
TOKEN_BYTES = 32
MAX_DAYS = 90


class ShareLinkUnknown(LookupError):
    """No link has this token (mistyped, forged or deleted): the page answers 404."""


class ShareLinkGone(LookupError):
    """The link existed but was revoked or has expired: the page answers 410."""

    def __init__(self, link: ShareLink) -> None:
        super().__init__(f"Share link {link.pk} is no longer valid.")
        self.link = link


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_link_create(
    *, brief: Brief, agency: str, days: int, show_figures: bool = False, created_by=None
) -> tuple[ShareLink, str]:
    """Create a link and return it with its token; the token is never stored or shown again."""
    agency = agency.strip()
    if not agency:
        raise ValueError("Name the agency the link is for.")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"A link lasts between 1 and {MAX_DAYS} days.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink.objects.create(
        brief=brief,
        agency=agency,
        token_hash=token_hash(token),
        token_hint=token[:6],
        show_figures=show_figures,
        created_by=created_by,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return link, token


def share_link_revoke(link: ShareLink) -> ShareLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        ShareLink.objects.filter(pk=link.pk, revoked_at=None).update(revoked_at=link.revoked_at)
    return link


def share_link_resolve(token: str) -> ShareLink:
    """The active link for a token, without counting a view."""
    # Hashing first means the lookup time does not depend on how much of a token matched.
    link = (
        ShareLink.objects.select_related("brief__node", "brief__style_preset")
        .filter(token_hash=token_hash(token))
        .first()
        if token
        else None
    )
    if link is None:
        raise ShareLinkUnknown(token[:6])
    if not link.is_active:
        raise ShareLinkGone(link)
    return link


def share_link_open(token: str) -> ShareLink:
    """Resolve the token and count the view."""
    link = share_link_resolve(token)
    now = timezone.now()
    ShareLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1, last_viewed_at=now)
    link.view_count += 1
    link.last_viewed_at = now
    return link
