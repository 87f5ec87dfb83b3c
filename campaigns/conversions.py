"""Which of a platform's conversion types an account counts as conversions and as leads.

Platforms report many kinds of result: Meta an `action_type` per action (purchase,
complete_registration, lead, a custom conversion…), Google one figure per conversion action,
LinkedIn a field per kind (website conversions post-click and post-view, one-click leads…), X
a metric per web and mobile conversion type. Ingestion keeps every type a day reports on its
daily row (`DailyMetric.conversion_types`: {type: [count, value micros]}), and the row's
`conversions`, `conversion_value_micros` and `leads` are derived from them here, by the choice
of the row's account (`AdAccount.conversion_types` / `lead_types`, or the platform's default).
So a lead can change what counts and every figure is recounted from what is stored, without
asking the platform again (campaigns/conversion_recount.py).

Plain Python: no Django models, only the settings that hold the platform defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings

# What DailyMetric.conversion_types holds: type → [count, value in micros of the currency].
ConversionFigures = dict[str, list]

# Longest type name accepted in a choice (Google conversion actions are named by people).
MAX_TYPE_LENGTH = 255

# Meta reports the same conversion under several prefixes (omni_purchase, purchase,
# offsite_conversion.fb_pixel_purchase, onsite_web_purchase…): summing them would count it up
# to four times. A concept ("purchase") is read once, from the first prefix present, in this
# order: omni_ is Meta's cross-channel total, the bare type next, then the channel ones.
META_PREFIXES = ("omni_", "", "offsite_conversion.fb_pixel_", "onsite_web_", "onsite_conversion.")

# X Ads API v12 conversion metrics: the WEB_CONVERSION group, and the MOBILE_CONVERSION group
# that only app campaigns report ("Metrics by Objective" in the X Ads docs).
X_WEB_TYPES = (
    "conversion_purchases",
    "conversion_sign_ups",
    "conversion_site_visits",
    "conversion_downloads",
    "conversion_custom",
)
X_MOBILE_TYPES = tuple(
    f"mobile_conversion_{name}"
    for name in [
        "installs",
        "achievements_unlocked",
        "add_to_carts",
        "add_to_wishlists",
        "checkouts_initiated",
        "content_views",
        "downloads",
        "invites",
        "key_page_views",
        "levels_achieved",
        "logins",
        "payment_info_additions",
        "purchases",
        "rates",
        "re_engages",
        "reservations",
        "searches",
        "shares",
        "sign_ups",
        "site_visits",
        "spent_credits",
        "tutorials_completed",
        "updates",
    ]
)
X_DEFAULT_CONVERSIONS = ("conversion_purchases", "conversion_sign_ups", "conversion_custom")
X_SETTING = "YENNI_X_CONVERSION_METRICS"

# LinkedIn adAnalytics fields that count results (Marketing API "Ads reporting schema"):
# website conversions (post-click + post-view = the total: choose the total or its parts,
# not both) and lead-gen form results. The conversion value LinkedIn reports is one figure
# for all website conversions; it goes with externalWebsiteConversions.
LINKEDIN_TYPES = (
    "externalWebsiteConversions",
    "externalWebsitePostClickConversions",
    "externalWebsitePostViewConversions",
    "oneClickLeads",
    "oneClickLeadFormOpens",
    "qualifiedLeads",
)

# Google Ads reports metrics.conversions (the account's primary conversion actions together)
# under this key, and each conversion action by its name (segments.conversion_action).
GOOGLE_PRIMARY_TOTAL = "conversions"

# The types each platform documents, which a lead may choose before the account has history.
# Meta's and Google's are open-ended (custom conversions, actions named by people): for them
# only the defaults are known in advance.
DOCUMENTED_TYPES: dict[str, tuple[str, ...]] = {
    "linkedin": LINKEDIN_TYPES,
    "x": X_WEB_TYPES + X_MOBILE_TYPES,
}


class ConversionChoiceError(ValueError):
    """A choice of types cannot be used; the message says which names and what to do."""


@dataclass(frozen=True)
class ConversionChoice:
    """The types summed into an account's conversions (with their value) and into its leads."""

    conversions: tuple[str, ...]
    leads: tuple[str, ...]

    def as_dict(self) -> dict[str, list[str]]:
        return {"conversions": list(self.conversions), "leads": list(self.leads)}


@dataclass(frozen=True)
class Counted:
    """A day's figures under a choice."""

    conversions: float
    conversion_value_micros: int
    leads: int


def names_clean(names: Iterable[str] | None) -> tuple[str, ...]:
    """Strip names, drop empty ones and repeats, keep the order."""
    return tuple(dict.fromkeys(str(name).strip() for name in names or () if str(name).strip()))


def platform_default(platform: str) -> ConversionChoice:
    """Return what a platform's accounts count when their lead chose nothing.

    Meta: the action types of YENNI_META_CONVERSION_ACTIONS and YENNI_META_LEAD_ACTIONS;
    Google: its primary conversions total; LinkedIn: website conversions and one-click leads;
    X: YENNI_X_CONVERSION_METRICS, no leads. Raises ConversionChoiceError when the X setting
    names a type X does not report.
    """
    if platform == "meta":
        return ConversionChoice(
            conversions=names_clean(settings.INGEST_META_CONVERSION_ACTIONS),
            leads=names_clean(settings.INGEST_META_LEAD_ACTIONS),
        )
    if platform == "google_ads":
        return ConversionChoice(conversions=(GOOGLE_PRIMARY_TOTAL,), leads=())
    if platform == "linkedin":
        return ConversionChoice(
            conversions=("externalWebsiteConversions",), leads=("oneClickLeads",)
        )
    if platform == "x":
        chosen = names_clean(settings.INGEST_X_CONVERSION_METRICS)
        unknown = [name for name in chosen if name not in DOCUMENTED_TYPES["x"]]
        if unknown:
            raise ConversionChoiceError(
                f"{X_SETTING} names conversion types X does not report: "
                f"{', '.join(repr(name) for name in unknown)}. Use X's metric names, "
                f"comma-separated. Web: {', '.join(X_WEB_TYPES)}. Mobile: "
                f"{', '.join(X_MOBILE_TYPES)}."
            )
        return ConversionChoice(conversions=chosen or X_DEFAULT_CONVERSIONS, leads=())
    return ConversionChoice(conversions=(), leads=())


def account_choice(
    *, platform: str, conversion_types: Sequence[str] | None, lead_types: Sequence[str] | None
) -> ConversionChoice:
    """Return an account's choice: its own lists, or the platform default where it has none.

    None means "the platform default"; an empty list means "count nothing" (a team that
    counts no leads on this account).
    """
    if conversion_types is not None and lead_types is not None:
        return ConversionChoice(
            conversions=names_clean(conversion_types), leads=names_clean(lead_types)
        )
    default = platform_default(platform)
    return ConversionChoice(
        conversions=(
            default.conversions if conversion_types is None else names_clean(conversion_types)
        ),
        leads=default.leads if lead_types is None else names_clean(lead_types),
    )


def figures_by_type(
    counts: Mapping[str, float] | None, values: Mapping[str, int] | None
) -> ConversionFigures:
    """Merge a record's counts and values by type into the stored form.

    Types with neither a count nor a value are left out: they would only make every row longer
    (X and LinkedIn report each type every day, mostly as 0). A day of zeros is {}.
    """
    counts, values = counts or {}, values or {}
    figures: ConversionFigures = {}
    # One pass over each dict: this runs for every row a sync saves.
    for name, count in counts.items():
        count, value = float(count or 0), int(values.get(name) or 0)
        if count or value:
            figures[name] = [int(count) if count.is_integer() else count, value]
    for name, value in values.items():
        if value and name not in counts:
            figures[name] = [0, int(value)]
    return figures


def meta_concept(action_type: str) -> str:
    """Return the conversion a Meta action type reports: "omni_purchase" → "purchase".

    A type under no known prefix (a custom conversion, `offsite_conversion.custom.123`) is its
    own concept.
    """
    for prefix in META_PREFIXES:
        if prefix and action_type.startswith(prefix) and len(action_type) > len(prefix):
            return action_type[len(prefix) :]
    return action_type


def meta_variants(concept: str) -> tuple[str, ...]:
    """Every action type Meta may report one concept under, in the order they are read."""
    return tuple(f"{prefix}{concept}" for prefix in META_PREFIXES)


def _meta_groups(chosen: Sequence[str]) -> list[tuple[str, ...]]:
    """Group chosen Meta types by conversion: each group is read once, from its first type
    present, in this order.

    A bare concept ("purchase") reads every prefix Meta reports it under; chosen prefixed
    types of one concept (omni_purchase and offsite_conversion.fb_pixel_purchase) read the
    first of them present, never both.
    """
    groups: dict[str, list[str]] = {}
    for name in chosen:
        groups.setdefault(meta_concept(name), []).append(name)
    ordered = []
    for concept, names in groups.items():
        if concept in names and "." not in concept:
            ordered.append(meta_variants(concept))
        else:
            order = {variant: i for i, variant in enumerate(meta_variants(concept))}
            ordered.append(tuple(sorted(names, key=lambda name: order.get(name, len(order)))))
    return ordered


def _groups_sum(
    figures: Mapping[str, Sequence[float]], groups: list[tuple[str, ...]]
) -> tuple[float, int]:
    """Sum each group once: its first count and its first value present (read apart, since
    Meta leaves out types that are zero). A group of one type is that type."""
    count_total, value_total = 0.0, 0
    for candidates in groups:
        count = value = 0
        for name in candidates:
            found = figures.get(name)
            if found is None:
                continue
            count, value = count or found[0], value or found[1]
            if count and value:
                break
        count_total += count
        value_total += value
    return count_total, value_total


Counter = Callable[[Mapping[str, Sequence[float]]], Counted]


def conversions_counter(*, platform: str, choice: ConversionChoice) -> Counter:
    """Return a function that counts a day's figures by type under this choice.

    The grouping is worked out once, not for every one of an account's million days. Meta's
    chosen types are grouped by conversion (`_meta_groups`); elsewhere each type is summed
    as reported.
    """
    if platform == "meta":
        conversion_groups, lead_groups = (
            _meta_groups(choice.conversions),
            _meta_groups(choice.leads),
        )
    else:
        conversion_groups = [(name,) for name in choice.conversions]
        lead_groups = [(name,) for name in choice.leads]

    def count(figures: Mapping[str, Sequence[float]]) -> Counted:
        conversions, value = _groups_sum(figures, conversion_groups)
        leads, _ = _groups_sum(figures, lead_groups)
        return Counted(
            conversions=float(conversions), conversion_value_micros=int(value), leads=round(leads)
        )

    return count


def conversions_count(
    *, platform: str, figures: Mapping[str, Sequence[float]], choice: ConversionChoice
) -> Counted:
    """Turn a day's figures by type into its conversions, their value and its leads."""
    return conversions_counter(platform=platform, choice=choice)(figures)


def types_allowed(*, platform: str, seen: Iterable[str], current: Iterable[str] = ()) -> set[str]:
    """Return the names a lead may choose for an account.

    The types its history holds, the ones its platform documents, its platform's defaults and
    what the account counts now; for Meta also the concept of each type seen ("purchase" for
    omni_purchase), which reads the conversion once whatever prefix reports it.
    """
    seen = set(seen)
    allowed = seen | set(DOCUMENTED_TYPES.get(platform, ())) | set(current)
    try:
        default = platform_default(platform)
        allowed |= set(default.conversions) | set(default.leads)
    except ConversionChoiceError:
        pass
    if platform == "meta":
        allowed |= {meta_concept(name) for name in seen}
    return allowed
