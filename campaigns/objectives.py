"""Map each platform's raw campaign objective to Yenni's one taxonomy.

Plain Python, no Django: ingestion connectors, CSV imports and the demo history share it. The
values returned are those of `campaigns.models.Objective`. A raw value nobody has mapped yet
returns "other", so it shows up in the admin where a marketing lead can decide what it is;
adding it here is then a one-line change.

Google Ads has no objective field: its connectors write the campaign's advertising channel and
either its goal or its bidding strategy, as "CHANNEL - GOAL" (e.g. "PERFORMANCE_MAX - SALES",
"SEARCH - MANUAL_CPC"). The second part decides; when it is unknown, channels that only exist
to sell (Performance Max, Shopping, app campaigns) still map to conversion.
"""

from __future__ import annotations

AWARENESS = "awareness"
TRAFFIC = "traffic"
ENGAGEMENT = "engagement"
LEADS = "leads"
CONVERSION = "conversion"
OTHER = "other"

OBJECTIVES = (AWARENESS, TRAFFIC, ENGAGEMENT, LEADS, CONVERSION, OTHER)

# Meta: the current outcome-based (ODAX) objectives and the legacy ones older campaigns keep.
# STORE_VISITS stays unmapped on purpose: no taxonomy bucket measures footfall.
META = {
    "OUTCOME_AWARENESS": AWARENESS,
    "BRAND_AWARENESS": AWARENESS,
    "REACH": AWARENESS,
    "OUTCOME_TRAFFIC": TRAFFIC,
    "LINK_CLICKS": TRAFFIC,
    "OUTCOME_ENGAGEMENT": ENGAGEMENT,
    "POST_ENGAGEMENT": ENGAGEMENT,
    "PAGE_LIKES": ENGAGEMENT,
    "VIDEO_VIEWS": ENGAGEMENT,
    "EVENT_RESPONSES": ENGAGEMENT,
    "MESSAGES": ENGAGEMENT,
    "OUTCOME_LEADS": LEADS,
    "LEAD_GENERATION": LEADS,
    "OUTCOME_SALES": CONVERSION,
    "CONVERSIONS": CONVERSION,
    "PRODUCT_CATALOG_SALES": CONVERSION,
    "OUTCOME_APP_PROMOTION": CONVERSION,
    "APP_INSTALLS": CONVERSION,
}

# Google Ads, second part of "CHANNEL - X": campaign goals first, then bidding strategies.
GOOGLE_ADS_GOALS = {
    "BRAND_AWARENESS": AWARENESS,
    "AWARENESS_AND_REACH": AWARENESS,
    "WEBSITE_TRAFFIC": TRAFFIC,
    "PRODUCT_AND_BRAND_CONSIDERATION": ENGAGEMENT,
    "LEADS": LEADS,
    "SALES": CONVERSION,
    "APP_PROMOTION": CONVERSION,
    "TARGET_CPM": AWARENESS,
    "TARGET_IMPRESSION_SHARE": AWARENESS,
    "MANUAL_CPC": TRAFFIC,
    "TARGET_SPEND": TRAFFIC,  # the API's name for "Maximize clicks"
    "MAXIMIZE_CLICKS": TRAFFIC,
    "MANUAL_CPV": ENGAGEMENT,
    "TARGET_CPV": ENGAGEMENT,
    "MAXIMIZE_CONVERSIONS": CONVERSION,
    "MAXIMIZE_CONVERSION_VALUE": CONVERSION,
    "TARGET_CPA": CONVERSION,
    "TARGET_ROAS": CONVERSION,
}
GOOGLE_ADS_CHANNELS = {
    "PERFORMANCE_MAX": CONVERSION,
    "SHOPPING": CONVERSION,
    "MULTI_CHANNEL": CONVERSION,
}

# LinkedIn: JOB_APPLICANT and TALENT_LEAD are recruitment, not the bank's marketing, so they
# stay "other" rather than mixing job applications into the leads ranking.
LINKEDIN = {
    "BRAND_AWARENESS": AWARENESS,
    "WEBSITE_VISIT": TRAFFIC,
    "ENGAGEMENT": ENGAGEMENT,
    "VIDEO_VIEW": ENGAGEMENT,
    "LEAD_GENERATION": LEADS,
    "WEBSITE_CONVERSION": CONVERSION,
}

# X (line item objectives). X has no lead objective.
X = {
    "AWARENESS": AWARENESS,
    "REACH": AWARENESS,
    "WEBSITE_CLICKS": TRAFFIC,
    "ENGAGEMENTS": ENGAGEMENT,
    "FOLLOWERS": ENGAGEMENT,
    "VIDEO_VIEWS": ENGAGEMENT,
    "PREROLL_VIEWS": ENGAGEMENT,
    "WEBSITE_CONVERSIONS": CONVERSION,
    "APP_INSTALLS": CONVERSION,
    "APP_ENGAGEMENTS": CONVERSION,
}

_BY_PLATFORM = {"meta": META, "linkedin": LINKEDIN, "x": X}


def normalise_raw(raw: str) -> str:
    """Return `raw` as the tables spell it: upper case, single spaces, " - " between parts."""
    parts = [" ".join(part.split()) for part in raw.upper().split("-")]
    return " - ".join(part for part in parts if part)


def map_objective(platform_slug: str, raw: str) -> str:
    """Return the taxonomy value for a platform's raw objective; "other" when unknown."""
    value = normalise_raw(raw or "")
    if not value:
        return OTHER
    if platform_slug == "google_ads":
        channel, _, goal = value.partition(" - ")
        if not goal:
            # A bare value: either a goal/strategy without its channel, or a channel alone.
            return GOOGLE_ADS_GOALS.get(channel) or GOOGLE_ADS_CHANNELS.get(channel, OTHER)
        return GOOGLE_ADS_GOALS.get(goal) or GOOGLE_ADS_CHANNELS.get(channel, OTHER)
    table = _BY_PLATFORM.get(platform_slug)
    if table is None:
        return OTHER
    return table.get(value, OTHER)
