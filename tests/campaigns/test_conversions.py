"""Counting conversions and leads from a day's figures by type: no database, plain data."""

from __future__ import annotations

import pytest

from campaigns.conversions import (
    ConversionChoice,
    ConversionChoiceError,
    Counted,
    account_choice,
    conversions_count,
    figures_by_type,
    meta_concept,
    platform_default,
    types_allowed,
)

# One Meta ad-day as Meta reports it: each conversion under several prefixes.
META_DAY = {
    "omni_purchase": [3, 376_500_000],
    "purchase": [3, 376_500_000],
    "offsite_conversion.fb_pixel_purchase": [3, 376_500_000],
    "onsite_web_purchase": [3, 376_500_000],
    "complete_registration": [2, 0],
    "offsite_conversion.fb_pixel_complete_registration": [2, 0],
    "lead": [4, 0],
    "offsite_conversion.fb_pixel_lead": [4, 0],
    "onsite_conversion.lead_grouped": [1, 0],
    "offsite_conversion.custom.77": [5, 100_000_000],
    "landing_page_view": [40, 0],
}


def meta(conversions, leads=()):
    return conversions_count(
        platform="meta",
        figures=META_DAY,
        choice=ConversionChoice(conversions=tuple(conversions), leads=tuple(leads)),
    )


def test_a_meta_conversion_reported_under_four_prefixes_counts_once():
    assert meta(["purchase"], ["lead"]) == Counted(3.0, 376_500_000, 4)


def test_meta_purchases_and_registrations_add_up_each_counted_once():
    assert meta(["purchase", "complete_registration"]) == Counted(5.0, 376_500_000, 0)


def test_choosing_several_prefixes_of_one_meta_conversion_still_counts_it_once():
    chosen = ["offsite_conversion.fb_pixel_purchase", "omni_purchase", "purchase"]

    assert meta(chosen) == Counted(3.0, 376_500_000, 0)


def test_a_prefixed_meta_type_alone_is_read_as_it_is():
    assert meta(["offsite_conversion.fb_pixel_lead"]).conversions == 4.0
    assert meta(["omni_complete_registration"]).conversions == 0.0


def test_a_meta_custom_conversion_and_other_concepts_are_their_own():
    counted = meta(["offsite_conversion.custom.77", "landing_page_view"], ["lead_grouped"])

    assert counted == Counted(45.0, 100_000_000, 1)
    assert meta_concept("offsite_conversion.custom.77") == "offsite_conversion.custom.77"
    assert meta_concept("onsite_conversion.lead_grouped") == "lead_grouped"
    assert meta_concept("omni_purchase") == "purchase"


def test_meta_reads_count_and_value_apart_since_meta_leaves_zeros_out():
    day = {"omni_purchase": [2, 0], "purchase": [2, 90_000_000]}

    counted = conversions_count(
        platform="meta", figures=day, choice=ConversionChoice(("purchase",), ())
    )

    assert counted == Counted(2.0, 90_000_000, 0)


def test_other_platforms_sum_the_chosen_types_as_reported():
    day = {
        "conversion_purchases": [2, 50_000_000],
        "conversion_sign_ups": [3, 0],
        "mobile_conversion_installs": [7, 0],
    }
    choice = ConversionChoice(("conversion_purchases", "mobile_conversion_installs"), ())

    assert conversions_count(platform="x", figures=day, choice=choice) == Counted(
        9.0, 50_000_000, 0
    )


def test_fractional_google_conversions_stay_fractional_and_leads_are_whole():
    day = {"conversions": [2.5, 10_000_000], "Formulario crédito": [1.6, 0]}
    choice = ConversionChoice(("conversions",), ("Formulario crédito",))

    assert conversions_count(platform="google_ads", figures=day, choice=choice) == Counted(
        2.5, 10_000_000, 2
    )


def test_platform_defaults_follow_the_settings_and_the_docs(settings):
    settings.INGEST_META_CONVERSION_ACTIONS = ["purchase", "complete_registration"]
    settings.INGEST_META_LEAD_ACTIONS = ["lead"]
    settings.INGEST_X_CONVERSION_METRICS = []

    assert platform_default("meta") == ConversionChoice(
        ("purchase", "complete_registration"), ("lead",)
    )
    assert platform_default("google_ads") == ConversionChoice(("conversions",), ())
    assert platform_default("linkedin") == ConversionChoice(
        ("externalWebsiteConversions",), ("oneClickLeads",)
    )
    assert platform_default("x") == ConversionChoice(
        ("conversion_purchases", "conversion_sign_ups", "conversion_custom"), ()
    )


def test_an_x_setting_naming_an_unknown_type_is_refused_naming_the_valid_ones(settings):
    settings.INGEST_X_CONVERSION_METRICS = ["conversion_purchases", "conversion_signups"]

    with pytest.raises(ConversionChoiceError) as refused:
        platform_default("x")

    assert "YENNI_X_CONVERSION_METRICS" in str(refused.value)
    assert "'conversion_signups'" in str(refused.value)
    assert "conversion_sign_ups" in str(refused.value)


def test_an_accounts_own_list_replaces_the_default_and_an_empty_one_counts_nothing(settings):
    settings.INGEST_META_LEAD_ACTIONS = ["lead"]

    own = account_choice(platform="meta", conversion_types=[" lead ", "lead"], lead_types=[])
    default = account_choice(platform="meta", conversion_types=None, lead_types=None)

    assert own == ConversionChoice(("lead",), ())
    assert default.leads == ("lead",)


def test_the_stored_breakdown_leaves_zeros_out_and_keeps_whole_counts_whole():
    figures = figures_by_type(
        {"a": 3.0, "b": 0.0, "c": 1.5, "d": 0}, {"a": 1_000_000, "e": 2_000_000}
    )

    assert figures == {"a": [3, 1_000_000], "c": [1.5, 0], "e": [0, 2_000_000]}
    assert isinstance(figures["a"][0], int)
    assert figures_by_type({"a": 0}, {}) == {}


def test_a_lead_may_choose_types_seen_documented_or_meta_names_without_prefix(settings):
    settings.INGEST_META_CONVERSION_ACTIONS = ["purchase"]
    settings.INGEST_META_LEAD_ACTIONS = ["lead"]

    meta_allowed = types_allowed(
        platform="meta", seen=["omni_purchase", "offsite_conversion.custom.9"]
    )
    x_allowed = types_allowed(platform="x", seen=[])

    assert {"omni_purchase", "purchase", "offsite_conversion.custom.9", "lead"} <= meta_allowed
    assert "complete_registration" not in meta_allowed
    assert "mobile_conversion_installs" in x_allowed
    assert "conversion_signups" not in x_allowed
