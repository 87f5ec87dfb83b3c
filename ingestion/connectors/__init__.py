"""One connector per platform, looked up by the platform's slug."""

from __future__ import annotations

from importlib import import_module

CONNECTORS = {
    "meta": "ingestion.connectors.meta.MetaConnector",
    "google_ads": "ingestion.connectors.google_ads.GoogleAdsConnector",
    "linkedin": "ingestion.connectors.linkedin.LinkedInConnector",
    "x": "ingestion.connectors.x.XConnector",
}


def connector_class(platform_slug: str):
    """Return the connector class of a platform, or None when Yenni has none for it yet."""
    path = CONNECTORS.get(platform_slug)
    if not path:
        return None
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)
