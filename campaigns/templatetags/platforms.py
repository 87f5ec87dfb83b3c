"""Template filters for the platforms' codes: "google_ads" reads "Google Ads" on a page."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from creatives.models import PlatformSlug

register = template.Library()


@register.filter
def platform_names(slugs: Iterable[str]) -> str:
    """The platforms' names joined by commas; a slug no one listed is shown as it is."""
    names = {choice.value: str(choice.label) for choice in PlatformSlug}
    return ", ".join(names.get(slug, slug) for slug in slugs or [])
