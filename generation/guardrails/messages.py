"""What the guardrails removed, in the page's language (the web page and the API say it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from generation.guardrails.core import Removal

# The concepts' names as analysts read them (core.LABELS holds the same names untranslated).
RULE_NAMES = {
    "minors": _("minors"),
    "brand_marks": _("logos and brand marks"),
    "alcohol": _("alcohol"),
    "gambling": _("gambling"),
    "weapons": _("weapons"),
    "public_figures": _("public figures"),
    "competitors": _("competitor banks"),
    "rates": _("rates and percentages"),
    "person_names": _("possible person name"),
    "guideline": _("the brand's forbidden content"),
}


def rule_name(removal: Removal) -> str:
    return str(RULE_NAMES.get(removal.concept, removal.label))


def removal_items(removals: Iterable[Removal]) -> list[dict[str, str]]:
    """One entry per removal (the API's "removed" list): the words, the rule and its key."""
    return [{"words": r.words, "rule": rule_name(r), "concept": r.concept} for r in removals]


def removal_message(removals: Iterable[Removal]) -> str:
    """ "Removed “niños” (minors), “Davivienda” (competitor banks)." — "" when none went."""
    items = [
        gettext("“{words}” ({rule})").format(words=r.words, rule=rule_name(r)) for r in removals
    ]
    if not items:
        return ""
    return gettext("Removed {items}.").format(items=", ".join(items))
