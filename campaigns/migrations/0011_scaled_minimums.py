"""Minimums that scale with the data (issue 15 item 3).

A rule now says how its evidence minimums are read: `scaled` (a piece needs a share of the
median impressions of the node × objective's pieces) or `absolute` (the fixed figures, as
before). Every existing rule keeps `absolute`, so no lead's choice changes under them; the
seeded defaults that no lead has saved since (still version 1) switch to `scaled` at 5 %.

Why 5 % (bench/ranking_quality.py, demo seed 7, precision@4 over naive): the fixed seeded
minimums gave 1.07× on the rule's window, 1.00× on the last 28 days, 1.15× at 2 % and 0.89×
at 0.5 % volume; 5 % of the median gave 1.06×, 1.00×, 1.22×, 1.16× — never below naive. Wider
shares (10 %, 25 %, 50 %) and per-metric event floors measured worse at small volumes.

An untouched seeded rule's version 1 is updated in place rather than given a version 2: it is
the seed, and the seed is what changed; the history of every rule a lead saved is left as it
was, each stored state completed with the `absolute` mode it ranked with.
"""

from django.db import migrations, models
import django.core.validators

SEEDED_SHARE = 5


def scaled_defaults(apps, schema_editor):
    RankingRule = apps.get_model("campaigns", "RankingRule")
    RankingRuleVersion = apps.get_model("campaigns", "RankingRuleVersion")
    untouched = RankingRule.objects.filter(node__isnull=True, version=1)
    untouched_ids = set(untouched.values_list("pk", flat=True))
    untouched.update(minimums_mode="scaled", min_share_of_median=SEEDED_SHARE)
    for version in RankingRuleVersion.objects.all():
        seed = version.rule_id in untouched_ids and version.version == 1
        version.state = {
            **version.state,
            "minimums_mode": "scaled" if seed else "absolute",
            "min_share_of_median": SEEDED_SHARE,
        }
        version.save(update_fields=["state"])


def fixed_again(apps, schema_editor):
    RankingRuleVersion = apps.get_model("campaigns", "RankingRuleVersion")
    for version in RankingRuleVersion.objects.all():
        version.state.pop("minimums_mode", None)
        version.state.pop("min_share_of_median", None)
        version.save(update_fields=["state"])


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0010_piece_weeks_and_ranking_coverage"),
    ]

    operations = [
        migrations.AddField(
            model_name="rankingrule",
            name="minimums_mode",
            # Existing rules keep the fixed figures they were saved with.
            field=models.CharField(default="absolute", max_length=10),
        ),
        migrations.AddField(
            model_name="rankingrule",
            name="min_share_of_median",
            field=models.PositiveSmallIntegerField(
                default=5,
                help_text="With scaled minimums: pieces with fewer impressions than this percentage of the median piece are not ranked.",
                validators=[django.core.validators.MaxValueValidator(100)],
                verbose_name="share of the median impressions (%)",
            ),
        ),
        migrations.RunPython(scaled_defaults, fixed_again),
        migrations.AlterField(
            model_name="rankingrule",
            name="minimums_mode",
            field=models.CharField(
                choices=[("scaled", "Scaled to the node's volume"), ("absolute", "Fixed figures")],
                default="scaled",
                help_text="Scaled: a piece needs a share of the median impressions of the node's pieces for this objective, so the bar follows the account's size. Fixed: the impressions, spend, clicks and conversions below.",
                max_length=10,
                verbose_name="kind of minimums",
            ),
        ),
        migrations.AlterField(
            model_name="rankingrule",
            name="min_impressions",
            field=models.PositiveIntegerField(
                default=0,
                help_text="With fixed minimums: pieces seen fewer times than this are not ranked, too little evidence.",
                verbose_name="minimum impressions",
            ),
        ),
    ]
