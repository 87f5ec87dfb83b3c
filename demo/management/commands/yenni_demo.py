"""Fill the catalog with a realistic, deterministic ad history for demos and benchmarks.

    python manage.py yenni_demo [--seed 7] [--creatives 1500] [--months 12]
                                [--end-date 2026-10-31] [--reset]

The same arguments give the same rows and the same image bytes on any machine and any day.
The planning, drawing and simulating live in `demo` (plain Python); the writing in
`demo.loader`.

Hidden truth file
-----------------
Beside the data, `<DATA_DIR>/demo/true_quality.json` records what the metrics were drawn from,
so a ranking benchmark can score how close a ranking comes to the truth. It is JSON:

    {
      "format": "yenni-demo-true-quality/1",
      "seed": 7,
      "parameters": {"creatives": 1500, "months": 12, "start_date": "2025-11-01",
                     "end_date": "2026-10-31", "fatigue_floor": 0.5,
                     "platform_factors": {"meta": {"ctr": 1.0, ...}, ...},
                     "objective_factors": {"awareness": {"ctr": 0.6, ...}, ...}},
      "counts": {"images": ..., "creatives": ..., "ads": ..., "campaigns": ...},
      "images": {
        "<sha256 of the image bytes>": {
          "node": "wompi",                      # node slug; an image is used in one node only
          "objectives": ["leads", "traffic"],   # objectives of the campaigns that ran it
          "platforms": ["meta"],                # platforms that ran it
          "ads": 3, "creatives": 1,             # how many ads and creatives used it
          "first_seen": "2026-01-04", "last_seen": "2026-03-30",
          "variant_of": null,                   # sha256 of the image it is a near-duplicate of
          "variant_kind": null,                 # "crop", "tint" or "offer" for near-duplicates
          "art": {"layout": "hero", "product": "qr", "people": 2, "palette": "wompi", ...},
          "true": {
            "ctr": 0.0123,                 # clicks per impression on Meta, fresh ad
            "link_click_share": 0.71,      # link clicks per click
            "conversion_rate": 0.025,      # conversions per click in a conversion campaign
            "lead_rate": 0.06,             # leads per click in a lead campaign
            "video_view_rate": 0.25,       # video views per impression (video creatives only)
            "engagement_rate": 0.011,      # engagements other than clicks, per impression
            "fatigue_half_life_days": 35.0 # days for the CTR to lose half of what it can lose
          }
        }
      }
    }

An ad's expected daily rate is the mean `true` rate of its creative's images (a carousel
averages its cards) times the platform factor and the objective factor, times an audience
factor per ad (log-normal, σ 0.15) that the file does not list; the click-through rate also
decays with the ad's age towards `fatigue_floor` of its fresh value, and dips or rises a few
per cent by weekday.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import ProtectedError

from demo.history import plan_history
from demo.loader import demo_catalog_campaign_count, demo_catalog_wipe, demo_history_load
from demo.plan import (
    DEFAULT_CREATIVES,
    DEFAULT_END_DATE,
    DEFAULT_MONTHS,
    DEFAULT_SEED,
    MIN_CREATIVES,
    DemoParameters,
)
from yenni_site.progress import Progress


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--end-date must look like 2026-10-31, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Fill an empty catalog with a deterministic demo ad history: nodes, accounts, mapping "
        "rules, campaigns, ads, creatives with drawn images, daily metrics and USD→COP rates. "
        "Writes the images' hidden true quality to <DATA_DIR>/demo/true_quality.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed (default %(default)s)."
        )
        parser.add_argument(
            "--creatives",
            type=int,
            default=DEFAULT_CREATIVES,
            help=f"How many creatives (default %(default)s, at least {MIN_CREATIVES}).",
        )
        parser.add_argument(
            "--months",
            type=int,
            default=DEFAULT_MONTHS,
            help="Months of history ending on --end-date (default %(default)s).",
        )
        parser.add_argument(
            "--end-date",
            type=_date,
            default=DEFAULT_END_DATE,
            help=(
                "Last day of the history (default %(default)s). Fixed rather than yesterday so "
                "the same seed gives the same history whatever day the command runs."
            ),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Wipe the catalog first: campaigns, ads, metrics, creatives, images and their "
                "files, and the demo's accounts, nodes, rules and exchange rates."
            ),
        )

    def handle(self, *args, **options) -> None:
        parameters = DemoParameters(
            seed=options["seed"],
            creatives=options["creatives"],
            months=options["months"],
            end_date=options["end_date"],
        )
        if parameters.creatives < MIN_CREATIVES:
            raise CommandError(f"--creatives must be at least {MIN_CREATIVES}.")
        if not 1 <= parameters.months <= 120:
            raise CommandError("--months must be between 1 and 120.")
        started = time.monotonic()
        existing = demo_catalog_campaign_count()
        if existing and not options["reset"]:
            raise CommandError(
                f"The catalog already has {existing:,} campaigns. Pass --reset to wipe the "
                "catalog (campaigns, ads, metrics, creatives, images and their files, and the "
                "demo's accounts, nodes, rules and exchange rates) first."
            )
        if options["reset"]:
            try:
                removed = demo_catalog_wipe()
            except ProtectedError as exc:
                raise CommandError(
                    f"Cannot wipe the catalog: other records still use it ({exc.args[0]})."
                ) from exc
            self.stderr.write(f"Catalog wiped ({removed:,} images removed).")

        # tqdm writes to the stream itself (OutputWrapper.write would add a newline per redraw).
        progress = Progress(self.stderr._out)
        plan = plan_history(parameters)
        result = demo_history_load(plan=plan, progress=progress)
        self.stdout.write(
            f"Demo history (seed {parameters.seed}, {parameters.start_date} to "
            f"{parameters.end_date}) loaded in {time.monotonic() - started:.1f} s: "
            f"{result.campaigns:,} campaigns, {result.ads:,} ads, {result.creatives:,} "
            f"creatives, {result.images:,} images, {result.metric_rows:,} daily metric rows, "
            f"{result.exchange_rates:,} exchange rates. True quality: {result.truth_path}"
        )
