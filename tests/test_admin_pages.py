"""The admin as a marketing lead uses it: pages, permissions, links and query bounds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.admin.history import CappedCountPaginator
from campaigns.models import Ad, Campaign, DailyMetric, NodeMappingRule, Objective, Platform
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_catalog,
    make_creative,
    make_description,
    make_image,
    make_metric,
    make_node,
    make_rule,
)

# Most queries each page may run, measured with the lead's session and no warm caches. They
# hold however many rows there are: test_pages_run_the_same_queries_with_many_more_rows.
LIST_QUERIES = {
    "campaigns.platform": 7,
    "campaigns.node": 7,
    "campaigns.adaccount": 10,
    "campaigns.nodemappingrule": 9,
    "campaigns.campaign": 14,
    "campaigns.ad": 12,
    "campaigns.dailymetric": 10,
    "campaigns.exchangerate": 11,
    "creatives.creative": 9,
    "creatives.creativeimage": 9,
    "creatives.imagedescription": 11,
}
CHANGE_QUERIES = {
    "campaigns.platform": 6,
    "campaigns.node": 6,
    # + the conversion types its history holds, and its last recount.
    "campaigns.adaccount": 10,
    "campaigns.nodemappingrule": 8,
    "campaigns.campaign": 9,
    "campaigns.ad": 12,
    "campaigns.dailymetric": 9,
    "campaigns.exchangerate": 6,
    "creatives.creative": 8,
    "creatives.creativeimage": 8,
    "creatives.imagedescription": 7,
}
LEAD_MAY_ADD = ["campaigns.node", "campaigns.adaccount", "campaigns.nodemappingrule"]
LEAD_MAY_ADD += ["campaigns.exchangerate"]
FROM_PLATFORMS = [
    "campaigns.platform",
    "campaigns.campaign",
    "campaigns.ad",
    "campaigns.dailymetric",
    "creatives.creative",
    "creatives.creativeimage",
    "creatives.imagedescription",
]


def admin_url(label: str, view: str, *args: object) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{view}", args=args)


def sample(catalog, label: str):
    """The object of the catalog whose change page a test opens."""
    return {
        "campaigns.platform": lambda: catalog.accounts[0].platform,
        "campaigns.node": lambda: catalog.nodes[0],
        "campaigns.adaccount": lambda: catalog.accounts[0],
        "campaigns.nodemappingrule": lambda: catalog.rules[0],
        "campaigns.campaign": lambda: catalog.campaigns[0],
        "campaigns.ad": lambda: catalog.ads[0],
        "campaigns.dailymetric": lambda: catalog.metrics[0],
        "campaigns.exchangerate": lambda: catalog.rates[0],
        "creatives.creative": lambda: catalog.creatives[0],
        "creatives.creativeimage": lambda: catalog.images[0],
        "creatives.imagedescription": lambda: catalog.descriptions[0],
    }[label]()


@pytest.fixture
def catalog(db, media_storage):
    return make_catalog()


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    # Messages are asserted in English; Spanish is the site's default language.
    client.cookies["django_language"] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("label", LIST_QUERIES)
def test_each_list_renders_for_a_lead_within_its_query_bound(
    lead_client, catalog, label, django_assert_max_num_queries
):
    with django_assert_max_num_queries(LIST_QUERIES[label]):
        response = lead_client.get(admin_url(label, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


@pytest.mark.parametrize("label", CHANGE_QUERIES)
def test_each_change_page_renders_for_a_lead_within_its_query_bound(
    lead_client, catalog, label, django_assert_max_num_queries
):
    with django_assert_max_num_queries(CHANGE_QUERIES[label]):
        response = lead_client.get(admin_url(label, "change", sample(catalog, label).pk))

    assert response.status_code == 200


def test_pages_run_the_same_queries_with_many_more_rows(lead_client, catalog):
    urls = [admin_url(label, "changelist") for label in LIST_QUERIES]
    urls += [admin_url(label, "change", sample(catalog, label).pk) for label in CHANGE_QUERIES]
    for url in urls:  # warm the per-process caches (content types) once
        lead_client.get(url)

    def queries_per_page() -> dict[str, int]:
        counts = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert lead_client.get(url).status_code == 200
            counts[url] = len(queries)
        return counts

    before = queries_per_page()
    make_catalog(days=4)
    make_catalog(days=4)
    # Grow what the sampled pages show themselves: the campaign's ads, the ad's days, the
    # creative's images, the image's creatives and descriptions, the node's and account's rows.
    ad, creative, image = catalog.ads[0], catalog.creatives[0], catalog.images[0]
    for n in range(4):
        make_ad(campaign=catalog.campaigns[0], creative=make_creative(images=[image, make_image()]))
        make_campaign(account=catalog.accounts[0], node=catalog.nodes[0])
        make_account(default_node=catalog.nodes[0])
        make_description(image=image, backend=f"backend-{n}")
    for day in range(2, 12):
        make_metric(ad=ad, date=dt.date(2024, 3, day + 1))
    for position in range(2, 5):
        creative.image_slots.create(image=make_image(), position=position)
    after = queries_per_page()

    assert after == before
    bounds = list(LIST_QUERIES.values()) + list(CHANGE_QUERIES.values())
    assert all(count <= bound for count, bound in zip(after.values(), bounds, strict=True))


@pytest.mark.parametrize("label", LEAD_MAY_ADD)
def test_a_lead_may_open_the_add_page_of_what_leads_maintain(lead_client, db, label):
    assert lead_client.get(admin_url(label, "add")).status_code == 200


@pytest.mark.parametrize("label", FROM_PLATFORMS)
def test_a_lead_may_not_add_what_comes_from_platforms(lead_client, db, label):
    assert lead_client.get(admin_url(label, "add")).status_code == 403


@pytest.mark.parametrize("label", FROM_PLATFORMS)
def test_a_lead_may_not_delete_what_comes_from_platforms(lead_client, catalog, label):
    obj = sample(catalog, label)

    response = lead_client.post(admin_url(label, "delete", obj.pk), {"post": "yes"})

    assert response.status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_a_lead_sets_a_campaigns_node_by_hand_and_the_rules_leave_it_alone(lead_client, catalog):
    campaign = catalog.campaigns[1]
    node = catalog.nodes[1]

    response = lead_client.post(
        admin_url("campaigns.campaign", "change", campaign.pk),
        {"node": node.pk, "objective": Objective.LEADS, "name": "Renamed by a lead"},
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.node, campaign.node_source) == (node, Campaign.NodeSource.MANUAL)
    assert campaign.objective == Objective.LEADS
    # Read-only fields in the POST are ignored: the name is the platform's.
    assert campaign.name == "Search leads"


def test_changing_only_the_objective_keeps_how_the_node_was_assigned(lead_client, catalog):
    campaign = catalog.campaigns[0]

    lead_client.post(
        admin_url("campaigns.campaign", "change", campaign.pk),
        {"node": campaign.node_id, "objective": Objective.AWARENESS},
    )

    campaign.refresh_from_db()
    assert (campaign.objective, campaign.node_source) == (
        Objective.AWARENESS,
        Campaign.NodeSource.RULE,
    )


def test_a_lead_cannot_change_an_ad_even_by_posting(lead_client, catalog):
    ad = catalog.ads[0]

    response = lead_client.post(admin_url("campaigns.ad", "change", ad.pk), {"name": "Hacked"})

    assert response.status_code == 403
    ad.refresh_from_db()
    assert ad.name != "Hacked"


def test_the_campaign_page_offers_only_node_and_objective_to_edit(lead_client, catalog):
    response = lead_client.get(admin_url("campaigns.campaign", "change", catalog.campaigns[0].pk))

    assert sorted(response.context["adminform"].form.fields) == ["node", "objective"]


def test_an_analyst_is_sent_to_the_admin_login(client, analyst, catalog):
    client.force_login(analyst)
    url = admin_url("campaigns.campaign", "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_a_lead_adds_a_mapping_rule(lead_client, catalog):
    response = lead_client.post(
        admin_url("campaigns.nodemappingrule", "add"),
        {
            "priority": 5,
            "campaign_name_pattern": r"^wompi\b",
            "pattern_kind": NodeMappingRule.PatternKind.REGEX,
            "node": catalog.nodes[1].pk,
            "active": "on",
        },
    )

    assert response.status_code == 302
    rule = NodeMappingRule.objects.get(priority=5)
    assert (rule.campaign_name_pattern, rule.node) == (r"^wompi\b", catalog.nodes[1])


def test_a_rule_with_a_broken_regex_is_refused_with_the_reason(lead_client, catalog):
    response = lead_client.post(
        admin_url("campaigns.nodemappingrule", "add"),
        {
            "priority": 5,
            "campaign_name_pattern": "tu360(",
            "pattern_kind": NodeMappingRule.PatternKind.REGEX,
            "node": catalog.nodes[1].pk,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["campaign_name_pattern"] == [
        "Not a valid regular expression: missing ), unterminated subpattern at position 5"
    ]
    assert not NodeMappingRule.objects.filter(priority=5).exists()


def test_the_reapply_button_maps_every_campaign_and_reports_the_counts(lead_client, db):
    compras, wompi = make_node(), make_node()
    account = make_account(default_node=wompi)
    make_rule(node=compras, pattern="compras")
    by_rule = make_campaign(account=account, name="Tu360Compras marzo")
    by_default = make_campaign(account=account, name="Links de pago")
    unmapped = make_campaign(account=make_account(), name="Otra cosa")
    by_hand = make_campaign(
        account=account, name="Compras a mano", node=wompi, node_source="manual"
    )

    response = lead_client.post(reverse("admin:campaigns_nodemappingrule_reapply"), follow=True)

    assert response.redirect_chain == [(admin_url("campaigns.nodemappingrule", "changelist"), 302)]
    assert messages_of(response) == [
        "Mapping rules re-applied. Campaigns examined: 3; changed: 2; without a node: 1. "
        "Campaigns whose node was set by hand were kept."
    ]
    nodes = {c.pk: c.node for c in Campaign.objects.all()}
    assert nodes == {
        by_rule.pk: compras,
        by_default.pk: wompi,
        unmapped.pk: None,
        by_hand.pk: wompi,
    }


def test_the_rules_list_shows_the_reapply_button_to_a_lead(lead_client, catalog):
    response = lead_client.get(admin_url("campaigns.nodemappingrule", "changelist"))

    assert reverse("admin:campaigns_nodemappingrule_reapply").encode() in response.content
    assert b"Re-apply mapping rules to all campaigns" in response.content


def test_the_reapply_button_only_answers_posts(lead_client, catalog):
    response = lead_client.get(reverse("admin:campaigns_nodemappingrule_reapply"))

    assert response.status_code == 405


def test_staff_without_the_leads_permissions_cannot_reapply(client, catalog):
    campaign = catalog.campaigns[1]
    make_rule(node=catalog.nodes[0], pattern="search")
    staff = User.objects.create_user(username="sam_staff", password="x", is_staff=True)
    client.force_login(staff)

    response = client.post(reverse("admin:campaigns_nodemappingrule_reapply"))

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.node is None


def test_reapplying_to_selected_campaigns_skips_hand_set_ones_and_says_so(lead_client, catalog):
    make_rule(node=catalog.nodes[0], pattern="search", priority=1)
    selected = [catalog.campaigns[1], catalog.campaigns[2]]

    response = lead_client.post(
        admin_url("campaigns.campaign", "changelist"),
        {"action": "reapply_mapping_rules", "_selected_action": [c.pk for c in selected]},
        follow=True,
    )

    assert messages_of(response) == [
        "Mapping rules re-applied. Campaigns examined: 1; changed: 1; without a node: 0. "
        "Skipped 1 selected campaign whose node was set by hand."
    ]
    search, by_hand = (Campaign.objects.get(pk=c.pk) for c in selected)
    assert (search.node, search.node_source) == (catalog.nodes[0], Campaign.NodeSource.RULE)
    assert (by_hand.node, by_hand.node_source) == (catalog.nodes[1], Campaign.NodeSource.MANUAL)


def test_a_lead_hands_a_campaign_back_to_the_rules(lead_client, catalog):
    by_hand = catalog.campaigns[2]  # "Wompi links" on an account whose default is nodes[1]
    make_rule(node=catalog.nodes[0], pattern="wompi")

    response = lead_client.post(
        admin_url("campaigns.campaign", "changelist"),
        {"action": "return_to_mapping_rules", "_selected_action": [by_hand.pk]},
        follow=True,
    )

    assert messages_of(response) == [
        "Mapping rules re-applied. Campaigns examined: 1; changed: 1; without a node: 0."
    ]
    by_hand.refresh_from_db()
    assert (by_hand.node, by_hand.node_source) == (catalog.nodes[0], Campaign.NodeSource.RULE)


def test_campaigns_with_unknown_objectives_are_one_filter_away(lead_client, catalog):
    url = admin_url("campaigns.campaign", "changelist")

    needs_mapping = lead_client.get(url, {"needs_mapping": "objective"})
    by_raw_value = lead_client.get(url, {"objective_raw": "WEIRD_NEW_GOAL"})

    assert list(needs_mapping.context["cl"].result_list) == [catalog.campaigns[1]]
    assert list(by_raw_value.context["cl"].result_list) == [catalog.campaigns[1]]
    raw_filter = next(
        spec
        for spec in needs_mapping.context["cl"].filter_specs
        if getattr(spec, "parameter_name", "") == "objective_raw"
    )
    assert [label for _value, label in raw_filter.lookup_choices] == [
        "OUTCOME_LEADS → Leads",
        "OUTCOME_TRAFFIC → Traffic",
        "WEIRD_NEW_GOAL → Other",
    ]


def test_the_campaign_list_links_to_its_ads(lead_client, catalog):
    campaign = catalog.campaigns[0]
    link = f"{admin_url('campaigns.ad', 'changelist')}?campaign__id__exact={campaign.pk}"

    campaigns = lead_client.get(admin_url("campaigns.campaign", "changelist"))
    ads = lead_client.get(link)

    assert f'<a href="{link}">1</a>'.encode() in campaigns.content
    assert ads.status_code == 200
    assert list(ads.context["cl"].result_list) == [catalog.ads[0]]


def test_the_ad_page_links_to_its_campaign_creative_and_daily_results(lead_client, catalog):
    ad = catalog.ads[0]

    response = lead_client.get(admin_url("campaigns.ad", "change", ad.pk))

    content = response.content.decode()
    assert admin_url("campaigns.campaign", "change", ad.campaign_id) in content
    assert admin_url("creatives.creative", "change", ad.creative_id) in content
    metrics = f"{admin_url('campaigns.dailymetric', 'changelist')}?ad__id__exact={ad.pk}"
    assert (
        f'<a href="{metrics}">2 days: 2,000 impressions, 50 clicks, 25.00 COP spent, '
        "4 conversions, 2 leads</a>"
    ) in content
    assert list(lead_client.get(metrics).context["cl"].result_list) == sorted(
        catalog.metrics[:2], key=lambda m: m.date, reverse=True
    )


def test_the_image_list_links_to_the_creatives_using_each_image(lead_client, catalog):
    image = catalog.images[0]
    link = f"{admin_url('creatives.creative', 'changelist')}?images__id__exact={image.pk}"

    images = lead_client.get(admin_url("creatives.creativeimage", "changelist"))
    creatives = lead_client.get(link)

    assert f'<a href="{link}">1</a>'.encode() in images.content
    assert creatives.status_code == 200
    assert list(creatives.context["cl"].result_list) == [catalog.creatives[0]]


def test_the_creative_list_filters_by_no_other_field_of_its_images(lead_client, catalog):
    """Django 5.2.20 refuses lookups across a many-to-many relation unless a list filter
    names them; the creative list allows the one its image links use, by an image's id."""
    image = catalog.images[0]
    creatives = admin_url("creatives.creative", "changelist")

    by_hash = lead_client.get(f"{creatives}?images__sha256__startswith={image.sha256[:4]}")
    by_id_range = lead_client.get(f"{creatives}?images__id__gte={image.pk}")

    assert (by_hash.status_code, by_id_range.status_code) == (400, 400)


def test_the_account_list_links_to_the_accounts_campaigns(lead_client, catalog):
    account = catalog.accounts[0]
    link = f"{admin_url('campaigns.campaign', 'changelist')}?account__id__exact={account.pk}"

    accounts = lead_client.get(admin_url("campaigns.adaccount", "changelist"))
    campaigns = lead_client.get(link)

    assert f'<a href="{link}">2</a>'.encode() in accounts.content
    assert set(campaigns.context["cl"].result_list) == {
        catalog.campaigns[0],
        catalog.campaigns[2],
    }


def test_images_show_as_lazy_thumbnails_served_to_signed_in_users(lead_client, catalog):
    image = catalog.images[0]

    response = lead_client.get(admin_url("creatives.creativeimage", "changelist"))

    assert (
        f'<img src="{image.get_file_url()}" alt="Image {image.sha256[:12]}" loading="lazy" '
        'class="yenni-thumb">'
    ).encode() in response.content


def test_the_image_list_says_which_images_are_described(lead_client, catalog):
    url = admin_url("creatives.creativeimage", "changelist")

    described = lead_client.get(url, {"described": "yes"})
    not_described = lead_client.get(url, {"described": "no"})

    assert list(described.context["cl"].result_list) == [catalog.images[0]]
    assert set(not_described.context["cl"].result_list) == set(catalog.images[1:])


def test_the_image_list_filters_by_orientation(lead_client, catalog):
    url = admin_url("creatives.creativeimage", "changelist")
    landscape, portrait, square = catalog.images

    found = {
        name: list(lead_client.get(url, {"orientation": name}).context["cl"].result_list)
        for name in ("landscape", "portrait", "square")
    }

    assert found == {"landscape": [landscape], "portrait": [portrait], "square": [square]}


def test_daily_spend_shows_in_the_account_currency_in_the_users_language(client, lead, db):
    client.force_login(lead)
    ad = make_ad(campaign=make_campaign(account=make_account(currency="USD")))
    make_metric(ad=ad, spend_micros=1_234_567_890_000, impressions=4000, clicks=50)
    url = admin_url("campaigns.dailymetric", "changelist")

    spanish = client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()

    # Spanish groups thousands the Colombian way, with a point.
    assert '<td class="field-spend">1.234.567,89 USD</td>' in spanish
    assert '<td class="field-ctr">1,25 %</td>' in spanish
    assert '<td class="field-spend">1,234,567.89 USD</td>' in english
    assert '<td class="field-ctr">1.25 %</td>' in english


def test_daily_metrics_filter_by_month(lead_client, catalog):
    april = make_metric(ad=catalog.ads[0], date=dt.date(2024, 4, 15))
    url = admin_url("campaigns.dailymetric", "changelist")

    response = lead_client.get(url, {"month": "2024-04"})

    assert list(response.context["cl"].result_list) == [april]
    month_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", "") == "month"
    )
    assert [value for value, _label in month_filter.lookup_choices] == ["2024-04", "2024-03"]


def test_long_lists_count_only_up_to_the_cap(catalog, django_assert_num_queries):
    class SmallCap(CappedCountPaginator):
        CAP = 4

    paginator = SmallCap(DailyMetric.objects.order_by("pk"), 2)

    with django_assert_num_queries(1):
        assert (paginator.count, paginator.capped, paginator.num_pages) == (4, True, 2)
    assert SmallCap(DailyMetric.objects.filter(ad=catalog.ads[0]), 2).count == 2


def test_the_platforms_are_listed_read_only(lead_client, db):
    response = lead_client.get(admin_url("campaigns.platform", "changelist"))

    assert response.context["cl"].result_count == Platform.objects.count() == 4
    assert response.context["has_add_permission"] is False


def test_ads_list_does_not_count_the_whole_table(lead_client, catalog):
    response = lead_client.get(admin_url("campaigns.ad", "changelist"), {"q": "Ad"})

    assert response.context["cl"].full_result_count is None
    assert response.context["cl"].result_count == Ad.objects.count()


@pytest.mark.parametrize("label", LIST_QUERIES)
def test_each_list_and_change_page_renders_for_a_superuser_too(client, catalog, label):
    client.force_login(User.objects.create_superuser(username="root", password="x"))

    list_page = client.get(admin_url(label, "changelist"))
    change_page = client.get(admin_url(label, "change", sample(catalog, label).pk))

    assert (list_page.status_code, change_page.status_code) == (200, 200)
