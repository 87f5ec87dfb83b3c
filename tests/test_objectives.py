from campaigns.models import Objective
from campaigns.objectives import (
    GOOGLE_ADS_CHANNELS,
    GOOGLE_ADS_GOALS,
    LINKEDIN,
    META,
    OBJECTIVES,
    X,
    map_objective,
    normalise_raw,
)


def test_meta_outcome_objectives_map_to_the_taxonomy():
    assert map_objective("meta", "OUTCOME_AWARENESS") == "awareness"
    assert map_objective("meta", "OUTCOME_TRAFFIC") == "traffic"
    assert map_objective("meta", "OUTCOME_ENGAGEMENT") == "engagement"
    assert map_objective("meta", "OUTCOME_LEADS") == "leads"
    assert map_objective("meta", "OUTCOME_SALES") == "conversion"
    assert map_objective("meta", "OUTCOME_APP_PROMOTION") == "conversion"


def test_meta_legacy_objectives_map_to_the_taxonomy():
    assert map_objective("meta", "BRAND_AWARENESS") == "awareness"
    assert map_objective("meta", "REACH") == "awareness"
    assert map_objective("meta", "LINK_CLICKS") == "traffic"
    assert map_objective("meta", "POST_ENGAGEMENT") == "engagement"
    assert map_objective("meta", "VIDEO_VIEWS") == "engagement"
    assert map_objective("meta", "LEAD_GENERATION") == "leads"
    assert map_objective("meta", "CONVERSIONS") == "conversion"
    assert map_objective("meta", "PRODUCT_CATALOG_SALES") == "conversion"


def test_meta_store_visits_stays_other():
    assert map_objective("meta", "STORE_VISITS") == "other"


def test_google_ads_maps_by_the_goal_after_the_channel():
    assert map_objective("google_ads", "DISPLAY - BRAND_AWARENESS") == "awareness"
    assert map_objective("google_ads", "SEARCH - WEBSITE_TRAFFIC") == "traffic"
    assert map_objective("google_ads", "VIDEO - PRODUCT_AND_BRAND_CONSIDERATION") == "engagement"
    assert map_objective("google_ads", "DISPLAY - LEADS") == "leads"
    assert map_objective("google_ads", "PERFORMANCE_MAX - SALES") == "conversion"


def test_google_ads_maps_by_the_bidding_strategy_after_the_channel():
    assert map_objective("google_ads", "VIDEO - TARGET_CPM") == "awareness"
    assert map_objective("google_ads", "SEARCH - MANUAL_CPC") == "traffic"
    assert map_objective("google_ads", "SEARCH - TARGET_SPEND") == "traffic"
    assert map_objective("google_ads", "VIDEO - MANUAL_CPV") == "engagement"
    assert map_objective("google_ads", "DEMAND_GEN - TARGET_CPA") == "conversion"


def test_google_ads_selling_channels_are_conversion_when_the_second_part_is_unknown():
    assert map_objective("google_ads", "PERFORMANCE_MAX - UNKNOWN") == "conversion"
    assert map_objective("google_ads", "SHOPPING") == "conversion"
    assert map_objective("google_ads", "PERFORMANCE_MAX - LEADS") == "leads"


def test_google_ads_unknown_goals_on_other_channels_stay_other():
    assert map_objective("google_ads", "DISPLAY - UNKNOWN") == "other"
    assert map_objective("google_ads", "SMART - LOCAL_STORE_VISITS") == "other"
    assert map_objective("google_ads", "DISPLAY") == "other"


def test_linkedin_objectives_map_to_the_taxonomy():
    assert map_objective("linkedin", "BRAND_AWARENESS") == "awareness"
    assert map_objective("linkedin", "WEBSITE_VISIT") == "traffic"
    assert map_objective("linkedin", "ENGAGEMENT") == "engagement"
    assert map_objective("linkedin", "VIDEO_VIEW") == "engagement"
    assert map_objective("linkedin", "LEAD_GENERATION") == "leads"
    assert map_objective("linkedin", "WEBSITE_CONVERSION") == "conversion"


def test_linkedin_recruitment_objectives_stay_other():
    assert map_objective("linkedin", "JOB_APPLICANT") == "other"
    assert map_objective("linkedin", "TALENT_LEAD") == "other"


def test_x_objectives_map_to_the_taxonomy():
    assert map_objective("x", "AWARENESS") == "awareness"
    assert map_objective("x", "REACH") == "awareness"
    assert map_objective("x", "WEBSITE_CLICKS") == "traffic"
    assert map_objective("x", "ENGAGEMENTS") == "engagement"
    assert map_objective("x", "FOLLOWERS") == "engagement"
    assert map_objective("x", "APP_INSTALLS") == "conversion"


def test_unknown_values_empty_values_and_unknown_platforms_map_to_other():
    assert map_objective("meta", "OUTCOME_SOMETHING_NEW") == "other"
    assert map_objective("x", "LEAD_GENERATION") == "other"
    assert map_objective("meta", "") == "other"
    assert map_objective("tiktok", "REACH") == "other"


def test_raw_values_are_normalised_before_they_are_looked_up():
    assert normalise_raw("  outcome_sales ") == "OUTCOME_SALES"
    assert normalise_raw("performance_max-sales") == "PERFORMANCE_MAX - SALES"
    assert map_objective("meta", "outcome_leads") == "leads"
    assert map_objective("google_ads", "Display  -  Leads") == "leads"


def test_every_mapped_value_belongs_to_the_models_taxonomy():
    assert set(OBJECTIVES) == set(Objective.values)
    tables = [META, GOOGLE_ADS_GOALS, GOOGLE_ADS_CHANNELS, LINKEDIN, X]
    assert {value for table in tables for value in table.values()} <= set(Objective.values)
