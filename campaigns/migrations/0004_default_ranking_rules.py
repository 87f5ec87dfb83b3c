"""Seed one default ranking rule per objective, and let leads edit rules.

Why each default (leads can change them in the admin; every change is versioned):
- awareness → CPM, lowest first, ≥ 10,000 impressions: an awareness buy pays for being seen, so
  the piece that earns impressions cheapest wins; tie-break on CTR, which shows attention.
- traffic → CTR, highest first, ≥ 1,000 impressions: traffic pays for visits; CTR is the
  creative's own pull and is reported by every platform (link clicks are not); tie-break CPC.
- engagement → engagement rate, ≥ 1,000 impressions: interactions per impression.
- leads → cost per lead, lowest first, ≥ 2,000 impressions and ≥ 20 clicks: a lead is the paid
  outcome; the click gate keeps pieces that never had a real chance out; tie-break CTR.
- conversion → cost per conversion, lowest first, ≥ 50 clicks: sales are rare, so a piece needs
  real traffic before its cost means anything; tie-break conversion rate.
- other → CTR, ≥ 1,000 impressions: a neutral measure until a lead maps the objective.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DEFAULTS = [
    ("awareness", "cpm", {"min_impressions": 10000}, "ctr",
     "Awareness pays for being seen: the cheapest thousand impressions win."),
    ("traffic", "ctr", {"min_impressions": 1000}, "cpc",
     "Traffic pays for visits: CTR measures the piece's own pull on every platform."),
    ("engagement", "engagement_rate", {"min_impressions": 1000}, "ctr",
     "Engagement is interactions per impression."),
    ("leads", "cost_per_lead", {"min_impressions": 2000, "min_clicks": 20}, "ctr",
     "A lead is the paid outcome; the click gate keeps out pieces that never had a chance."),
    ("conversion", "cost_per_conversion", {"min_clicks": 50}, "conversion_rate",
     "Sales are rare: a piece needs real traffic before its cost per sale means anything."),
    ("other", "ctr", {"min_impressions": 1000}, "",
     "A neutral measure until a lead maps the campaign's objective."),
]


def forwards(apps, schema_editor):
    RankingRule = apps.get_model("campaigns", "RankingRule")
    RankingRuleVersion = apps.get_model("campaigns", "RankingRuleVersion")
    for objective, metric, gates, tie_break, rationale in DEFAULTS:
        rule, created = RankingRule.objects.get_or_create(
            node=None,
            objective=objective,
            defaults={
                "metric": metric,
                "tie_break_metric": tie_break,
                "rationale": rationale,
                "window_days": 365,
                "top_n": 4,
                **gates,
            },
        )
        if created:
            state = {
                "node": None,
                "objective": objective,
                "metric": metric,
                "min_impressions": gates.get("min_impressions", 0),
                "min_spend": "0.00",
                "min_clicks": gates.get("min_clicks", 0),
                "min_conversions": "0.00",
                "window_days": 365,
                "platforms": [],
                "top_n": 4,
                "tie_break_metric": tie_break,
                "half_life_days": None,
                "within_platform": True,
                "active": True,
                "rationale": rationale,
            }
            RankingRuleVersion.objects.create(rule=rule, version=1, state=state, changes={})

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    grants = {
        "Marketing leads": [
            "view_rankingrule", "add_rankingrule", "change_rankingrule",
            "view_rankingruleversion", "view_imageweeklyrollup",
        ],
        "Analysts": ["view_rankingrule"],
    }
    for name, codenames in grants.items():
        group = Group.objects.get(name=name)
        perms = list(
            Permission.objects.filter(content_type__app_label="campaigns", codename__in=codenames)
        )
        assert len(perms) == len(codenames), codenames
        group.permissions.add(*perms)


def backwards(apps, schema_editor):
    apps.get_model("campaigns", "RankingRule").objects.filter(node=None).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_ranking_rules_and_weekly_rollup")]

    operations = [migrations.RunPython(forwards, backwards)]
