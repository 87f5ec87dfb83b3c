"""How the simulated market behaves: the numbers the demo history is drawn from.

Kept apart from the code that uses them so that tuning the demo (how good a node's pieces
are, what a platform charges, how long flights run) is an edit to one table, and the truth
file can report the very factors the metrics were drawn with.

The model, in short: an image has a hidden quality (click-through rate, link-click share,
conversions and leads per click, video views and engagements per impression, a fatigue
half-life), partly driven by what it shows (people, layout), so the best pieces have something
visible in common. A creative performs as the mean of its images; an ad adds its platform's and
objective's factors and a little audience noise, and pays a lower CPM the more appealing its
pictures are (auctions reward engagement). Each day, impressions follow the ad's budget, the
weekday and the season; clicks, conversions and the rest are binomial draws from those
impressions, with the click-through rate decaying as the ad ages.
"""

from __future__ import annotations

from campaigns.objectives import AWARENESS, CONVERSION, ENGAGEMENT, LEADS, OTHER, TRAFFIC

NODE_BASE_RATES = {
    #                      ctr,   conversions/click, leads/click
    "tu360compras": (0.011, 0.040, 0.030),
    "tu360inmobiliario": (0.008, 0.008, 0.090),
    "wompi": (0.009, 0.025, 0.060),
    "plink": (0.012, 0.030, 0.030),
    "bancolombia-empresas": (0.006, 0.012, 0.070),
}
# What the picture shows moves its appeal: people and a full scene help, a wall of text hurts.
LAYOUT_APPEAL = {"hero": 0.30, "product": 0.05, "headline": -0.25, "split": 0.10, "qr": 0.0}
PEOPLE_APPEAL = 0.15
FATIGUE_FLOOR = 0.5  # share of the click-through rate an ad keeps however old it gets

PLATFORM_FACTORS = {
    # ctr, engagement, conversions, leads
    "meta": (1.0, 1.0, 1.0, 1.0),
    "google_ads": (0.6, 0.2, 1.2, 0.8),
    "linkedin": (0.5, 0.8, 0.7, 1.3),
    "x": (0.7, 1.3, 0.6, 0.5),
}
OBJECTIVE_FACTORS = {
    # ctr, link share, conversions, leads, engagement, video views
    AWARENESS: (0.6, 1.0, 0.03, 0.0, 0.8, 1.0),
    TRAFFIC: (1.2, 1.15, 0.25, 0.0, 1.0, 0.8),
    ENGAGEMENT: (1.0, 0.8, 0.03, 0.0, 1.6, 1.2),
    LEADS: (0.9, 1.0, 0.10, 1.0, 1.0, 0.8),
    CONVERSION: (1.0, 1.0, 1.0, 0.0, 1.0, 0.8),
    OTHER: (0.8, 1.0, 0.05, 0.0, 1.0, 0.8),
}
# Impressions per day by weekday (Monday first): LinkedIn sleeps at weekends, Meta does not.
WEEKDAY_IMPRESSIONS = {
    "meta": (1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1),
    "google_ads": (1.1, 1.1, 1.05, 1.05, 1.0, 0.8, 0.8),
    "linkedin": (1.2, 1.2, 1.15, 1.1, 1.0, 0.5, 0.45),
    "x": (1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05),
}
WEEKDAY_CTR = (1.0, 1.0, 1.0, 0.99, 0.97, 1.04, 1.05)
MONTH_IMPRESSIONS = {1: 0.85, 2: 0.95, 3: 1.0, 4: 0.95, 5: 1.0, 6: 1.05, 7: 1.0, 8: 0.95,
                     9: 1.0, 10: 1.05, 11: 1.2, 12: 1.15}  # fmt: skip
PLATFORM_DAILY_IMPRESSIONS = {"meta": 1.0, "google_ads": 1.3, "linkedin": 0.25, "x": 0.6}
OBJECTIVE_DAILY_IMPRESSIONS = {
    AWARENESS: 2.0,
    TRAFFIC: 1.0,
    ENGAGEMENT: 1.3,
    LEADS: 0.7,
    CONVERSION: 0.8,
    OTHER: 0.8,
}
# CPM in COP; USD accounts pay the same at the centre of the exchange rate.
PLATFORM_CPM_COP = {"meta": 11_000.0, "google_ads": 9_000.0, "linkedin": 22_000.0, "x": 9_500.0}
# How strongly a piece's appeal lowers what it pays per thousand impressions.
CPM_RELEVANCE_EXPONENT = -0.4
OBJECTIVE_CPM = {AWARENESS: 0.75, TRAFFIC: 1.0, ENGAGEMENT: 0.9, LEADS: 1.25, CONVERSION: 1.3,
                 OTHER: 1.0}  # fmt: skip
VALUE_PER_CONVERSION_COP = {
    "tu360compras": 650_000.0,
    "tu360inmobiliario": 2_000_000.0,
    "wompi": 120_000.0,
    "plink": 40_000.0,
    "bancolombia-empresas": 500_000.0,
}
# Flights, tuned so the default demo has ~350,000 daily rows and 20,000 creatives over 24
# months about 10 million: rows grow with creatives × months.
ALWAYS_ON_SHARE = 0.15
RUNNING_AT_END = 0.4  # of the other campaigns whose flight reaches the window's end
CAMPAIGN_LENGTH_BETA = (2.0, 1.5)
AD_LATE_START = 0.6
AD_TO_CAMPAIGN_END = 0.55
TINY_AD_SHARE = 0.14
CAROUSEL_SHARE = 0.09
VIDEO_SHARE = 0.12
VARIANT_SHARE = 0.15
EXTRA_ADS_PER_CREATIVE = 1.45
IMAGES_PER_CREATIVE = 1.06  # distinct images per creative: some slots reuse an image

# USD accounts pay and earn the COP figures above divided by this, the exchange rate's centre.
USD_COP_CENTRE = 4000.0
