"""Four ad accounts, one per platform, with 90 days of history: the end-to-end test's world.

`SPECS` says what each platform holds (campaigns, ads, which ads were removed, deleted or
archived on the platform, which lost their picture); `platform_build` turns a spec into its
fake server, and `truth` into what Yenni's catalog must hold after ingesting it, in Yenni's
units, written from the history and the platforms' reporting rules (what each fake serves:
Meta's action types, Google's conversion actions, LinkedIn's result fields, X's conversion
types), never from a connector. The truth is committed
(tests/ingestion/fixtures/end_to_end_truth.json); a test checks that it still equals what
these specs give. After changing a spec, write it again:

    python -m tests.fakes.world --write-truth

Days are offsets: 0 is the first day of the 90-day window, 89 is yesterday in the account's
time zone, so the file does not age.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.fakes.google_ads import GOOGLE_OBJECTIVES, FakeGoogleAds, action_figures
from tests.fakes.history import AccountHistory, FakeMetric, history_build
from tests.fakes.linkedin import DERIVED_FIELDS, LINKEDIN_OBJECTIVES, FakeLinkedIn
from tests.fakes.meta import FakeMeta, meta_action_values, meta_actions
from tests.fakes.server import FailurePlan, FakePlatform, FakeRequest, FakeResponse
from tests.fakes.x import (
    X_OBJECTIVES,
    FakeX,
    creative_kind,
    image_key,
    video_key,
    x_conversions,
)

DAYS = 90
TRUTH_FILE = (
    Path(__file__).resolve().parents[1] / "ingestion" / "fixtures" / "end_to_end_truth.json"
)
# What a truth row holds, in this order, for one ad and one day; then its conversions by type.
ROW = ("impressions", "clicks", "spend_micros", "conversions", "leads")
TYPES = "conversion_types"
# The X conversion types Yenni counts by default (YENNI_X_CONVERSION_METRICS).
X_COUNTED = ("conversion_purchases", "conversion_sign_ups", "conversion_custom")


@dataclass(frozen=True)
class PlatformSpec:
    slug: str
    account_id: str
    name: str
    token: str
    # Path the platform's API lives under on its host (LinkedIn's rest/).
    base_path: str
    campaigns: int
    ads_per_campaign: int
    objectives: tuple[str, ...]
    id_base: int
    seed: int
    # Indexes (in the history's order) of ads removed or deleted on the platform.
    removed: tuple[int, ...] = ()
    # Indexes of ads archived on the platform (Meta: ARCHIVED, stopped for good but not
    # deleted; the ads edge and insights leave them out unless a status filter names them).
    archived: tuple[int, ...] = ()
    # Indexes of ads whose picture the platform no longer gives (LinkedIn: the post is
    # deleted; X: the media is gone from the library).
    pictureless: tuple[int, ...] = ()

    def history(self, *, end: dt.date) -> AccountHistory:
        history = history_build(
            end=end,
            days=DAYS,
            campaigns=self.campaigns,
            ads_per_campaign=self.ads_per_campaign,
            objectives=self.objectives,
            id_base=self.id_base,
            seed=self.seed,
        )
        history.ads = [
            dataclasses.replace(ad, removed=i in self.removed) for i, ad in enumerate(history.ads)
        ]
        return history

    @property
    def token_variable(self) -> str:
        key = re.sub(r"[^A-Z0-9]", "_", self.account_id.upper())
        return f"YENNI_TOKEN_{self.slug.upper()}_{key}"

    @property
    def url_variable(self) -> str:
        return f"YENNI_{self.slug.upper()}_API_URL"


# LinkedIn ads cannot be removed here: its fake always answers ACTIVE (FakeLinkedIn._creative's
# intendedStatus).
SPECS = (
    PlatformSpec(
        slug="meta",
        account_id="act_2001",
        name="E2E Meta",
        token="e2e-meta-token-41d7",
        base_path="",
        campaigns=2,
        ads_per_campaign=2,
        objectives=("OUTCOME_TRAFFIC", "OUTCOME_LEADS"),
        id_base=23851000000000000,
        seed=11,
        # The second ad DELETED, the third ARCHIVED: Meta hides both from the ads edge and
        # from insights unless asked (tests/fakes/meta.py).
        removed=(1,),
        archived=(2,),
    ),
    PlatformSpec(
        slug="google_ads",
        account_id="222-333-4444",
        name="E2E Google",
        token="e2e-google-token-8c02",
        base_path="",
        campaigns=2,
        ads_per_campaign=2,
        objectives=GOOGLE_OBJECTIVES[:2],
        id_base=7200000000,
        seed=12,
        removed=(1,),
    ),
    PlatformSpec(
        slug="linkedin",
        account_id="508000222",
        name="E2E LinkedIn",
        token="e2e-linkedin-token-5f9e",
        base_path="/rest",
        campaigns=2,
        ads_per_campaign=2,
        objectives=LINKEDIN_OBJECTIVES[:2],
        id_base=610000000,
        seed=13,
        pictureless=(3,),
    ),
    # Six campaigns of one ad: every kind of X ad (tests/fakes/x.py KINDS), and the fifth in an
    # app campaign, so mobile conversions are read too.
    PlatformSpec(
        slug="x",
        account_id="18ce54e2e2x",
        name="E2E X",
        token="e2e-x-token-0b3a",
        base_path="",
        campaigns=6,
        ads_per_campaign=1,
        objectives=X_OBJECTIVES,
        id_base=910000,
        seed=15,
        removed=(2,),
        pictureless=(1,),
    ),
)


# Fake servers ---------------------------------------------------------------------------------


def platform_build(spec: PlatformSpec, *, end: dt.date, failures: FailurePlan | None = None):
    """The spec's fake platform, serving its history to `end` (yesterday), paging small."""
    history = spec.history(end=end)
    if spec.slug == "meta":
        return FakeMeta(
            history,
            account_id=spec.account_id,
            token=spec.token,
            page_size=3,
            insights_page_size=10,
            failures=failures,
            ad_statuses={history.ads[i].id: "ARCHIVED" for i in spec.archived},
        )
    if spec.slug == "google_ads":
        return FakeGoogleAds(
            history,
            customer_id=re.sub(r"\D", "", spec.account_id),
            token=spec.token,
            page_size=3,
            stream_batch_size=10,
            failures=failures,
        )
    if spec.slug == "linkedin":
        platform = FakeLinkedIn(
            history, account_id=spec.account_id, token=spec.token, page_size=3, failures=failures
        )
        for i in spec.pictureless:
            platform.deleted_posts.add(f"urn:li:share:{history.ads[i].creative_id}")
        return platform
    platform = FakeX(
        history, account_id=spec.account_id, token=spec.token, page_size=3, failures=failures
    )
    for i in spec.pictureless:
        creative = next(c for c in history.creatives if c.id == history.ads[i].creative_id)
        kind = creative_kind(history, creative.id)
        platform.missing_media.add(video_key(creative) if "VIDEO" in kind else image_key(creative))
    return platform


def faults() -> FailurePlan:
    """Issue 13's faults: a throttle every 5th call, a server error every 7th, a cut body every 9th.

    The cut is the connection dropping after half the promised Content-Length (what a proxy or
    a platform front end does; the client gets ChunkedEncodingError), not a well-framed half
    JSON (`truncate_calls`). Calls that are several at once fail as the first: 45 throttles.
    """
    return FailurePlan(throttle_every=5, error_every=7, cut_calls={n for n in range(9, 10_000, 9)})


def hold(platform: FakePlatform, matches: Callable[[FakeRequest], bool], *, nth: int):
    """Keep the `nth` call that `matches` unanswered until `platform.release` is set.

    Sets `platform.holding` when it is reached: the moment to kill the process that waits.
    """
    platform.holding = threading.Event()  # type: ignore[attr-defined]
    platform.release = threading.Event()  # type: ignore[attr-defined]
    seen = [0]
    answer = platform.handle

    def handle(request: FakeRequest) -> FakeResponse:
        response = answer(request)
        if matches(request):
            seen[0] += 1
            if seen[0] == nth:
                platform.holding.set()  # type: ignore[attr-defined]
                platform.release.wait(timeout=120)  # type: ignore[attr-defined]
        return response

    platform.handle = handle  # type: ignore[method-assign]


# The truth ------------------------------------------------------------------------------------


def picture_digest(data: bytes) -> str:
    """The picture as "WxH:<SHA-256 of its RGB pixels>", the same whatever encoder wrote it."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        return f"{rgb.width}x{rgb.height}:{hashlib.sha256(rgb.tobytes()).hexdigest()}"


def _types(spec: PlatformSpec, m: FakeMetric, objective: str) -> dict[str, list[int]]:
    """Every conversion type the platform reports for one ad-day: {type: [count, value micros]}.

    As Yenni stores them (DailyMetric.conversion_types): under the platform's own names, each
    type with a count or a value, prefixed Meta duplicates included.
    """
    counts: dict[str, int] = {}
    values: dict[str, int] = {}
    if spec.slug == "meta":
        counts, values = meta_actions(m), meta_action_values(m)
    elif spec.slug == "google_ads":
        # metrics.conversions (the primary actions) as "conversions", each action by its name
        # with its all_conversions.
        counts["conversions"], values["conversions"] = m.conversions, m.conversion_value_micros
        for action, count, value in action_figures(m):
            counts[action.name], values[action.name] = count, value
    elif spec.slug == "linkedin":
        counts = {
            "externalWebsiteConversions": m.conversions,
            "oneClickLeads": m.leads,
            **{name: figure(m) for name, figure in DERIVED_FIELDS.items()},
        }
        # One conversion value for all website conversions: it goes with their total.
        values["externalWebsiteConversions"] = m.conversion_value_micros
    else:
        counts = x_conversions(m, objective)
        # sale_amount: the day's conversion value, on purchases only.
        values["conversion_purchases"] = m.conversion_value_micros
    found = {
        name: [counts.get(name, 0), values.get(name, 0)]
        for name in dict.fromkeys([*counts, *values])
    }
    return {name: figures for name, figures in found.items() if any(figures)}


def _row(spec: PlatformSpec, m: FakeMetric, objective: str) -> list:
    """One ad-day in Yenni's units: ROW's figures, then the conversions by type.

    The counted conversions and leads are the platform's default choice: Meta's purchases and
    registrations, each once however many prefixes repeat it, and its `lead`; Google's primary
    total; LinkedIn's externalWebsiteConversions and oneClickLeads; X's purchases, sign-ups and
    custom conversions (YENNI_X_CONVERSION_METRICS), no leads.
    """
    types = _types(spec, m, objective)
    if spec.slug == "x":
        conversions = float(sum(types.get(name, [0])[0] for name in X_COUNTED))
    else:
        conversions = float(m.conversions)
    leads = m.leads if spec.slug in ("meta", "linkedin") else 0
    return [m.impressions, m.clicks, m.spend_micros, conversions, leads, types]


def _status(spec: PlatformSpec, index: int, removed: bool) -> str:
    if spec.slug == "google_ads":
        return "REMOVED" if removed else "ENABLED"
    if spec.slug in ("x", "meta") and removed:
        return "DELETED"
    if spec.slug == "meta" and index in spec.archived:
        return "ARCHIVED"
    return "ACTIVE"


def platform_truth(spec: PlatformSpec, *, end: dt.date) -> dict:
    history = spec.history(end=end)
    start = end - dt.timedelta(days=DAYS - 1)
    objectives = {c.id: c.objective for c in history.campaigns}
    creatives = {c.id: c for c in history.creatives}
    by_ad: dict[str, dict[str, list]] = {ad.id: {} for ad in history.ads}
    for m in history.metrics:
        day = f"{(m.date - start).days:02d}"
        by_ad[m.ad_id][day] = _row(spec, m, objectives[m.campaign_id])
    ads = {}
    server = FakePlatform(token="")
    for i, ad in enumerate(history.ads):
        name = creatives[ad.creative_id].image_path.removeprefix("/images/")
        pictures = [] if i in spec.pictureless else [picture_digest(server.image(name).body)]
        ads[ad.id] = {
            "campaign": ad.campaign_id,
            "status": _status(spec, i, ad.removed),
            "removed": ad.removed,
            "images": pictures,
            "days": by_ad[ad.id],
        }
    return {"account": spec.account_id, "ads": ads}


def truth() -> dict:
    """What the catalog must hold after the four accounts' 90 days are ingested."""
    # The history's numbers depend on day offsets only, so any end date gives the same truth.
    end = dt.date(2026, 1, 1)
    return {
        "about": "Written by `python -m tests.fakes.world --write-truth`; do not edit by hand.",
        "days": DAYS,
        "row": list(ROW),
        "platforms": {spec.slug: platform_truth(spec, end=end) for spec in SPECS},
    }


def truth_text(data: dict) -> str:
    """Indented JSON with each ad-day on one line."""
    rows: list[str] = []

    def one_line(row: list) -> str:
        rows.append(json.dumps(row, ensure_ascii=False, sort_keys=True))
        return f"@row{len(rows) - 1}@"

    shaped = {
        **data,
        "platforms": {
            slug: {
                **platform,
                "ads": {
                    ad_id: {**ad, "days": {day: one_line(row) for day, row in ad["days"].items()}}
                    for ad_id, ad in platform["ads"].items()
                },
            }
            for slug, platform in data["platforms"].items()
        },
    }
    text = json.dumps(shaped, indent=1, sort_keys=True, ensure_ascii=False)
    return re.sub(r'"@row(\d+)@"', lambda match: rows[int(match.group(1))], text) + "\n"


def truth_load() -> dict:
    return json.loads(TRUTH_FILE.read_text())


# Figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One platform's run in one scenario: how long it took and the calls it made."""

    scenario: str
    platform: str
    seconds: float
    api_calls: int  # counted by the connector, retries included
    server_calls: int  # answered by the fake (image downloads not counted)
    throttled: int = 0
    errors: int = 0
    cut_bodies: int = 0
    waits: int = 0
    # Seconds the run would have waited with the platforms' real waits (the tests scale
    # every wait down by INGEST_WAIT_SCALE).
    unscaled_wait: float = 0.0
    images: int = 0


def report(measures: Iterable[Measure], *, wall: dict[str, float] | None = None) -> str:
    """The figures as a table: per scenario and platform, wall time and API calls."""
    lines = [
        f"{'scenario':<8} {'platform':<10} {'seconds':>7} {'calls':>5} {'served':>6} "
        f"{'429':>4} {'5xx':>4} {'cut':>4} {'waits':>5} {'real wait s':>11} {'images':>6}"
    ]
    for m in measures:
        lines.append(
            f"{m.scenario:<8} {m.platform:<10} {m.seconds:>7.2f} {m.api_calls:>5} "
            f"{m.server_calls:>6} {m.throttled:>4} {m.errors:>4} {m.cut_bodies:>4} "
            f"{m.waits:>5} {m.unscaled_wait:>11.0f} {m.images:>6}"
        )
    for scenario, seconds in (wall or {}).items():
        lines.append(f"{scenario:<8} {'all four':<10} {seconds:>7.2f} (manage.py ingest, wall)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.world", description=__doc__)
    parser.add_argument("--write-truth", action="store_true", help=f"write {TRUTH_FILE.name}")
    args = parser.parse_args(argv)
    if not args.write_truth:
        parser.print_help()
        return 1
    TRUTH_FILE.write_text(truth_text(truth()))
    print(f"Wrote {TRUTH_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
