"""Campaign and ad statuses in words: the platforms' codes (PAUSED, ENABLED…) as a lead reads them.

The status column keeps each platform's own code, as it came (Meta's ACTIVE and ARCHIVED,
Google's ENABLED and REMOVED, LinkedIn's COMPLETED and DRAFT, X's…), so a sync never loses
what the platform said. Pages and the admin show a word instead, in the page's language. The
words differ for a campaign ("Activa") and an ad ("Activo") in Spanish, hence one context each.
A code no one listed yet is shown as it came, rather than guessed at.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# The codes each platform sends, grouped by what they mean to a marketer.
_CAMPAIGN = {
    "active": pgettext_lazy("campaign status", "Active"),
    "paused": pgettext_lazy("campaign status", "Paused"),
    "archived": pgettext_lazy("campaign status", "Archived"),
    "deleted": pgettext_lazy("campaign status", "Deleted"),
    "finished": pgettext_lazy("campaign status", "Finished"),
    "canceled": pgettext_lazy("campaign status", "Canceled"),
    "draft": pgettext_lazy("campaign status", "Draft"),
    "in_review": pgettext_lazy("campaign status", "In review"),
    "with_issues": pgettext_lazy("campaign status", "With issues"),
    "rejected": pgettext_lazy("campaign status", "Rejected"),
}
_AD = {
    "active": pgettext_lazy("ad status", "Active"),
    "paused": pgettext_lazy("ad status", "Paused"),
    "archived": pgettext_lazy("ad status", "Archived"),
    "deleted": pgettext_lazy("ad status", "Deleted"),
    "finished": pgettext_lazy("ad status", "Finished"),
    "canceled": pgettext_lazy("ad status", "Canceled"),
    "draft": pgettext_lazy("ad status", "Draft"),
    "in_review": pgettext_lazy("ad status", "In review"),
    "with_issues": pgettext_lazy("ad status", "With issues"),
    "rejected": pgettext_lazy("ad status", "Rejected"),
}
_MEANING = {
    "ACTIVE": "active",
    "ENABLED": "active",
    "PAUSED": "paused",
    "CAMPAIGN_PAUSED": "paused",
    "ADSET_PAUSED": "paused",
    "CAMPAIGN_GROUP_PAUSED": "paused",
    "ARCHIVED": "archived",
    "DELETED": "deleted",
    "REMOVED": "deleted",
    "PENDING_DELETION": "deleted",
    "COMPLETED": "finished",
    "CANCELED": "canceled",
    "CANCELLED": "canceled",
    "DRAFT": "draft",
    "IN_PROCESS": "in_review",
    "PENDING_REVIEW": "in_review",
    "WITH_ISSUES": "with_issues",
    "DISAPPROVED": "rejected",
}


def status_label(code: str, *, of: str = "campaign") -> str:
    """The status `code` in words for a campaign (`of="campaign"`) or an ad (`of="ad"`)."""
    meaning = _MEANING.get((code or "").upper())
    if meaning is None:
        return code or "—"
    return str((_AD if of == "ad" else _CAMPAIGN)[meaning])
