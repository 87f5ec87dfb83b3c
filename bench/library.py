"""Time the asset library's page at 20,000 images on PostgreSQL, against a naive page.

    python bench/library.py                          # 20,000 images (first run loads ~15 min)
    python bench/library.py --requests 80 --rounds 3 --naive 20
    python bench/library.py --mode warm              # the older one-process cold + warm passes

It needs PostgreSQL (`--database-url`, default a `yenni_bench_library` database on 127.0.0.1,
created if missing). The demo history is loaded once with enough creatives for `--images`
images, described with the heuristic and embedded, and kept: later runs reuse it (the first
lines printed say what it holds); `--reload` rebuilds it. `--history fast` builds it the way
bench/ranking.py does (bench/ranking_history.py: the demo's plan and simulation, binary COPY,
image rows without files), then the weekly rollup, and describes the file-less images from a
drawn sample of the plan (`fileless_describe`): minutes instead of the demo loader's 43 at
20,000 images. The page itself needs no file (cards link to thumbnails, served apart).

Each request goes through the whole page in this process with Django's test client (URL
routing, session, the view, the selectors, the template), DEBUG off, and is timed on the
wall clock. The request list is drawn once from a seed: browsing pages deep and shallow,
sorting by every metric, node / objective / platform / period scopes, colour, orientation and
description filters, word searches, semantic searches in Spanish and English, and tiers.

`--mode cold` (the default) runs every pass in a FRESH PYTHON PROCESS (one subprocess per pass,
its requests in a new shuffled order each time), so no pass meets a cache that an earlier pass
left in its memory — a gunicorn worker's first click on each filter:

- pass 1 starts with the library's shared cache emptied (a new generation of keys,
  library.shared): the first click on each filter anywhere on the site; with `--warm`,
  emptied and then filled by `manage.py library_warm` (timed and printed), as after a
  rollup rebuild that runs it;
- passes 2 … `--rounds` + 1 are fresh processes again, with the shared cache (the database
  cache, or Redis with `--redis`) as the earlier passes left it: another worker's, or a
  restarted worker's, first click on a filter somebody already used.

What each child process does before its timer starts, and so is excluded: Python start-up and
imports, django.setup, opening the database connection, signing in, and one untimed request
to the unfiltered library page (`/library/`, sorted by date: it compiles the templates and
imports what views import lazily; it computes no scope sums and no tiers), and, in a yenni
pass, what a gunicorn worker does before its first request (`library.warm.worker_warm`, run by
yenni_site/gunicorn_conf.py): the query encoder loaded and the vector snapshot mapped (written
from the database by the first process that needs it, so pass 1's first child pays that read).
The baseline and naive passes load both on their first semantic request, which is timed.

Beside each pass, in the same run, a baseline pass runs in its own fresh process with the
shared cache switched off: the library as it was before (every cache in the process only),
so each of its passes is as cold as a new gunicorn worker was. Its order alternates with
the pass's, and the ratios compare the two.

`--mode warm` is the older single-process run:

- cold: the list once, in a fresh process: every scope's first request sums the rollup, the
  first semantic search loads the query encoder and the vector index.
- warm: `--rounds` more passes over the same list in a new order each time: a server that
  has seen these scopes before, which is what an analyst's next click meets.

Both modes time a naive baseline in the same run (in cold mode in its own fresh process):
- naive: the first `--naive` requests of the list through a page written the obvious way, in
  the same run: figures summed from the daily metric table through ads and slots (no rollup),
  each card's description, places and figures read one image at a time (N+1), tiers ranked
  again on every request, and every vector read from the database for a semantic search.
  Ratios compare the same requests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (
    ROOT,
    bench_parser,
    demo_history_load,
    django_setup,
    machine_load_printed,
    percentile,
)
from bench.ranking_history import fast_history_build

IMAGES_PER_CREATIVE = 1.06  # the demo's carousels: 18,900 creatives give 20,034 images


def request_list(count: int, seed: int, nodes: list[str]) -> list[dict]:
    """A fixed mix of library requests: what analysts click, in rough proportion."""
    rng = random.Random(seed)
    metrics = [
        "impressions",
        "clicks",
        "ctr",
        "spend",
        "cpc",
        "cpm",
        "conversions",
        "conversion_rate",
        "cost_per_conversion",
        "leads",
        "cost_per_lead",
        "roas",
    ]
    objectives = ["awareness", "traffic", "engagement", "leads", "conversion"]
    periods = [
        ("2025-11-01", "2026-01-31"),
        ("2026-02-01", "2026-04-30"),
        ("2026-05-01", "2026-07-31"),
        ("2026-08-01", "2026-10-31"),
        ("2026-10-01", "2026-10-31"),
    ]
    words = ["celulares", "datafono", "credito libre", "naranja", "cuotas", "qr comercios", "azul"]
    meanings = [
        "mujer sonriendo con celular en tonos cálidos",
        "imagen cálida naranja con mucho texto",
        "cool blue image with little text",
        "fondo oscuro con texto amarillo",
        "bright square picture with one face",
    ]
    requests: list[dict] = []
    for _ in range(count):
        kind = rng.choices(
            ["browse", "scope", "words", "meaning", "tier", "looks"],
            weights=[25, 25, 15, 15, 10, 10],
        )[0]
        params: dict = {}
        if kind == "browse":
            params["sort"] = rng.choice(["recent", "oldest", *metrics])
            params["page"] = rng.choice([1, 1, 2, 3, 10, 60, 400])
        elif kind == "scope":
            if rng.random() < 0.7:
                params["node"] = rng.choice(nodes)
            if rng.random() < 0.5:
                params["objective"] = rng.choice(objectives)
            if rng.random() < 0.3:
                params["platform"] = rng.choice(["meta", "google_ads", "linkedin", "x"])
            if rng.random() < 0.5:
                params["date_from"], params["date_to"] = rng.choice(periods)
            params["sort"] = rng.choice(metrics)
            params["page"] = rng.choice([1, 1, 2, 5])
        elif kind == "words":
            params["q"] = rng.choice(words)
            params["sort"] = rng.choice(["recent", *metrics])
        elif kind == "meaning":
            params["q"] = rng.choice(meanings)
            params["semantic"] = "on"
            if rng.random() < 0.3:
                params["node"] = rng.choice(nodes)
            params["page"] = rng.choice([1, 1, 2])
        elif kind == "tier":
            params["node"] = rng.choice(nodes)
            params["objective"] = rng.choice(objectives)
            params["tier"] = rng.choice(["top", "bottom", "middle"])
            params["sort"] = rng.choice(["recent", *metrics])
        else:
            params["colour"] = rng.choice(["orange", "blue", "black", "yellow", ""])
            params["orientation"] = rng.choice(["square", "portrait", "landscape", ""])
            params["described"] = rng.choice(["yes", ""])
            params["sort"] = rng.choice(["recent", *metrics])
        requests.append({key: value for key, value in params.items() if value != ""})
    return requests


def describe(params: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"


def naive_library_page(query, *, page: int = 1, page_size: int = 48):
    """The library page written the obvious way (see the module docstring)."""
    from dataclasses import replace

    from library import selectors as lib

    tiers = _naive_tiers(query)
    if tiers is None:
        query = replace(query, tier="")
    if query.semantic and query.text:
        scores, ranked = _naive_semantic(query, tiers)
        count = len(ranked)
        ids = ranked[(page - 1) * page_size : page * page_size]
    else:
        scores = {}
        count, page, ids = _naive_sorted_ids(query, tiers, page=page, page_size=page_size)
    cards = [_naive_card(image_id, query, tiers, scores) for image_id in ids]
    return lib.LibraryPage(cards, count, page, page_size, bool(scores))


def _naive_tiers(query) -> dict[int, str] | None:
    """The tiers, ranked again on every request."""
    from django.utils import timezone

    from campaigns.ranking import selectors as ranking
    from campaigns.ranking.full import full_ranking, image_tiers

    if not query.tier_scope:
        return None
    try:
        rule = ranking.ranking_rule_for(node=query.node, objective=query.objective)
    except ranking.NoRuleError:
        return None
    ranked = full_ranking(
        node=query.node, objective=query.objective, rule=rule, as_of=timezone.localdate()
    )
    return image_tiers(ranked)


def _naive_semantic(query, tiers) -> tuple[dict[int, float], list[int]]:
    """Every vector read from the database and scored, then the filters applied."""
    from dataclasses import replace

    from creatives.models import ImageEmbedding
    from library import selectors as lib
    from library.embeddings import from_bytes
    from library.filters import library_images
    from library.query_encoder import embed_query

    vector = embed_query(query.text)
    rows = list(ImageEmbedding.objects.values_list("image_id", "vector"))
    scores = {image_id: float(from_bytes(v) @ vector) for image_id, v in rows}
    keep = None
    if query.has_rollup_filter or query.colour or query.orientation or query.tier:
        filtered = replace(query, text="", semantic=False)
        keep = set(library_images(filtered, tiers=tiers).values_list("pk", flat=True))
    ranked = sorted(
        (pk for pk in scores if keep is None or pk in keep), key=lambda pk: -scores[pk]
    )[: lib.SEMANTIC_LIMIT]
    return scores, ranked


# The daily metric columns summed per image when sorting by a metric (money in micros).
NAIVE_SUMS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "spend": "spend_micros",
    "conversions": "conversions",
    "leads": "leads",
    "conversion_value": "conversion_value_micros",
}


def _naive_sorted_ids(query, tiers, *, page: int, page_size: int) -> tuple[int, int, list[int]]:
    """The count, the page and its ids, figures summed from the daily metrics in SQL."""
    import math

    from django.db.models import F, FloatField, Q, Sum
    from django.db.models.functions import Cast, NullIf

    from campaigns.ranking.metrics import METRICS, MICROS, MONEY_FIGURES, ratio_terms
    from library.filters import library_images

    images = library_images(query, tiers=tiers)
    count = images.count()
    page = min(page, max(1, math.ceil(count / page_size)))
    offset = (page - 1) * page_size
    spec = query.sort_spec
    if spec.kind != "metric":
        column = "last_seen" if spec.key == "recent" else "first_seen"
        ordered = images.order_by(F(column).desc(nulls_last=True), "-pk")
        return count, page, list(ordered.values_list("pk", flat=True)[offset : offset + page_size])
    prefix = "slots__creative__ads__"
    metric_filter = Q()
    for wanted, lookup in (
        (query.node, "campaign__node"),
        (query.objective, "campaign__objective"),
        (query.platform, "campaign__account__platform__slug"),
        (query.date_from, "daily_metrics__date__gte"),
        (query.date_to, "daily_metrics__date__lte"),
    ):
        if wanted:
            metric_filter &= Q(**{f"{prefix}{lookup}": wanted})
    sums = {
        name: Sum(Cast(f"{prefix}daily_metrics__{column}", FloatField()), filter=metric_filter)
        for name, column in NAIVE_SUMS.items()
    }
    ordered = images.annotate(**sums)
    if spec.key in METRICS:
        # The sums hold money in micros: scale the ratio back to the reporting currency.
        top, bottom, factor = ratio_terms(spec.key)
        factor *= MICROS if bottom in MONEY_FIGURES else 1
        factor /= MICROS if top in MONEY_FIGURES else 1
        ordered = ordered.annotate(metric=F(top) * factor / NullIf(F(bottom), 0.0))
    else:
        ordered = ordered.annotate(metric=F(spec.key))
    order = F("metric").desc(nulls_last=True)
    if not query.descending:
        order = F("metric").asc(nulls_last=True)
    ordered = ordered.order_by(order, "-pk")
    return count, page, list(ordered.values_list("pk", flat=True)[offset : offset + page_size])


def _naive_card(image_id: int, query, tiers, scores: dict[int, float]):
    """One card, read on its own: the image, its description, places and figures (N+1)."""
    from django.db.models import Count, Max, Q, Sum

    from campaigns.models import DailyMetric, ImageWeeklyRollup
    from campaigns.ranking.metrics import in_currency
    from creatives.models import CreativeImage, ImageDescription
    from creatives.thumbnails import thumbnail_size
    from library.cards import LibraryCard, card_figures
    from library.query import CARD_COLUMNS

    image = CreativeImage.objects.get(pk=image_id)
    width, height = thumbnail_size(image.width, image.height)
    card = LibraryCard(
        image_id=image.pk,
        width=image.width,
        height=image.height,
        thumb_width=width,
        thumb_height=height,
        first_seen=image.first_seen,
        last_seen=image.last_seen,
        similarity=scores.get(image_id),
        tier=(tiers or {}).get(image_id, ""),
    )
    description = ImageDescription.objects.filter(image_id=image_id).order_by("-created_at").first()
    if description:
        card.described = True
        card.summary = description.text_es or description.text
    places = ImageWeeklyRollup.objects.filter(image_id=image_id)
    card.nodes = sorted(set(places.values_list("node__name", flat=True)))
    card.platforms = sorted(set(places.values_list("platform", flat=True)))
    day_filter = Q(ad__creative__image_slots__image_id=image_id)
    if query.date_from:
        day_filter &= Q(date__gte=query.date_from)
    if query.date_to:
        day_filter &= Q(date__lte=query.date_to)
    figures = DailyMetric.objects.filter(day_filter).aggregate(
        impressions=Sum("impressions"),
        clicks=Sum("clicks"),
        link_clicks=Sum("link_clicks"),
        spend=Sum("spend_micros"),
        conversions=Sum("conversions"),
        conversion_value=Sum("conversion_value_micros"),
        leads=Sum("leads"),
        days=Count("date", distinct=True),
        last=Max("date"),
    )
    card.sums = {name: in_currency(name, float(figures.get(name) or 0)) for name in CARD_COLUMNS}
    card.figures = card_figures(card.sums)
    return card


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--images", type=int, default=20000, help="images in the catalog")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=60, help="distinct requests drawn")
    parser.add_argument(
        "--rounds", type=int, default=3, help="passes after the first (cold: fresh processes)"
    )
    parser.add_argument("--naive", type=int, default=20, help="requests timed naively")
    parser.add_argument(
        "--mode",
        choices=["cold", "warm"],
        default="cold",
        help="cold: a fresh process per pass (default); warm: every pass in this process",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="cold mode: run library_warm (as after a rollup rebuild) before the first pass",
    )
    parser.add_argument(
        "--redis", default="", help="a Redis URL: the shared cache in Redis, not the database"
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/yenni_bench_library"
    )
    parser.add_argument("--reload", action="store_true", help="rebuild the demo history")
    parser.add_argument(
        "--history",
        choices=["demo", "fast"],
        default="demo",
        help="demo: the demo loader, every image drawn (slow); fast: bench/ranking_history.py, "
        "image rows without files, descriptions copied from a drawn sample",
    )
    parser.add_argument("--verbose", action="store_true", help="print every request's time")
    # Internal: run one pass in this (fresh) process and print its times as JSON.
    parser.add_argument("--child-pass", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-per-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_pass is not None:
        child_pass(args)
        return
    with machine_load_printed():
        bench_setup(args)
        from django.core.management import call_command

        # DEBUG is off: the pages need the static files' manifest, as under gunicorn.
        call_command("collectstatic", "--noinput", verbosity=0)
        nodes = prepare_catalog(args)
        requests = request_list(args.requests, args.seed, nodes)
        if args.mode == "warm":
            report(args, requests, time_requests(args, requests))
        else:
            report_cold(args, requests, time_cold_passes(args, requests))


def bench_setup(args) -> None:
    """Django on the bench's database, production settings (DEBUG off), the chosen cache."""
    extra = {"YENNI_REDIS_URL": args.redis} if args.redis else {}
    django_setup(
        database_url=args.database_url,
        data_dir=os.environ.get("YENNI_DATA_DIR", ROOT / "var" / "bench-library"),
        YENNI_DEBUG="0",  # production templates: the cached loader, no debug data
        YENNI_ALLOWED_HOSTS="testserver",
        **extra,
    )


# --- cold mode: a fresh process per pass ---------------------------------------------------


def time_cold_passes(args, requests: list[dict]) -> dict:
    """Run pass 1 (shared cache emptied), `--rounds` more passes, and the naive pass, each in
    a fresh Python process; return their times."""
    base = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--database-url",
        args.database_url,
        "--seed",
        str(args.seed),
        "--requests",
        str(args.requests),
        "--naive",
        str(args.naive),
        "--images",
        str(args.images),
    ]
    if args.redis:
        base += ["--redis", args.redis]
    from library.shared import library_shared_clear
    from library.warm import library_warm

    found: dict = {"passes": [], "naive": None, "warm": None}
    library_shared_clear()  # pass 1 meets an empty shared cache
    if args.warm:
        found["warm"] = library_warm()
        print(
            f"library_warm (what runs after a rollup rebuild): {found['warm'].scopes} scopes, "
            f"{found['warm'].tier_maps} tier maps in {found['warm'].seconds:.1f} s"
        )
    found["per_process"] = []
    for number in range(1, args.rounds + 2):
        # The baseline pass runs beside each pass, first on even passes: the machine's load
        # drifts, and both sides should meet the same drift.
        ours = [*base, "--child-pass", str(number)]
        theirs = [*base, "--child-pass", str(number), "--child-per-process"]
        if number % 2:
            found["passes"].append(_child(ours, args))
            found["per_process"].append(_child(theirs, args))
        else:
            found["per_process"].append(_child(theirs, args))
            found["passes"].append(_child(ours, args))
    found["naive"] = _child([*base, "--child-pass", "0", "--child-naive"], args)
    return found


def _child(command: list[str], args) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if args.verbose:
        for i, ms, queries in zip(result["order"], result["ms"], result["queries"], strict=True):
            print(f"  pass {result['pass']} {ms:7.1f} ms {queries:3d} queries  #{i}")
    return result


def child_pass(args) -> None:
    """One pass in this fresh process: set up, sign in, one untimed request, then the list in
    this pass's order (or the naive subset); print the times as one JSON line."""
    bench_setup(args)
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from campaigns.models import Node
    from library.views import browse as library_views

    connection.ensure_connection()
    if args.child_per_process:
        # The baseline: the library as before issue 17, every cache in this process only.
        from django.core.cache.backends.dummy import DummyCache

        from library import shared

        shared._cache = lambda: DummyCache("library-per-process", {})
    nodes = list(Node.objects.order_by("slug").values_list("slug", flat=True))
    requests = request_list(args.requests, args.seed, nodes)
    user, _ = User.objects.get_or_create(username="bench_library_lead")
    user.groups.add(Group.objects.get(name="Marketing leads"))
    client = Client()
    client.force_login(user)
    response = client.get("/library/")  # templates and lazy imports; no scope, no tiers
    assert response.status_code == 200, response.status_code
    warm_s = None
    if not (args.child_per_process or args.child_naive):
        from library.warm import worker_warm

        started = time.perf_counter()
        worker_warm()  # as yenni_site/gunicorn_conf.py does before a worker's first request
        warm_s = time.perf_counter() - started
        connection.ensure_connection()  # the warm-up closes its connection
    if args.child_naive:
        order = list(range(min(args.naive, len(requests))))
        library_views.lib.library_page = naive_library_page
    else:
        order = list(range(len(requests)))
        random.Random(args.seed * 1000 + args.child_pass).shuffle(order)
    times, counts = [], []
    for i in order:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/library/", requests[i])
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (requests[i], response.status_code)
        times.append(elapsed)
        counts.append(len(queries))
    print(
        json.dumps(
            {
                "pass": args.child_pass,
                "order": order,
                "ms": times,
                "queries": counts,
                "warm_s": warm_s,
            }
        )
    )


def report_cold(args, requests: list[dict], found: dict) -> None:
    """Cold p50 / p95 per pass kind, the naive ratio on the same requests, the slowest."""
    from creatives.models import CreativeImage

    images = CreativeImage.objects.count()
    passes, naive = found["passes"], found["naive"]

    def by_request(result: dict) -> dict[int, float]:
        return dict(zip(result["order"], result["ms"], strict=True))

    first = list(passes[0]["ms"])
    later = [ms for result in passes[1:] for ms in result["ms"]]
    every = first + later
    counts = [n for result in passes for n in result["queries"]]

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:<48} n={len(values):4d}  p50 {percentile(values, 0.5):7.1f} ms  "
            f"p95 {percentile(values, 0.95):7.1f} ms  max {max(values):7.1f} ms"
        )

    print()
    print(
        f"catalog {images:,} images; {len(requests)} distinct requests (seed {args.seed}); "
        f"{len(passes)} passes, each in a fresh process; shared cache: "
        f"{'Redis' if args.redis else 'the database cache'}; queries per page: "
        f"{min(counts)}–{max(counts)}"
    )
    warm_s = [r["warm_s"] for r in passes if r.get("warm_s") is not None]
    if warm_s:
        print(
            "worker warm-up before each yenni pass (untimed, as gunicorn_conf does): "
            f"{', '.join(f'{s:.2f}' for s in warm_s)} s"
        )
    state = "filled by library_warm" if found["warm"] else "empty"
    print(line(f"cold, pass 1 (shared cache {state})", first))
    if later:
        print(line(f"cold, passes 2–{len(passes)} (shared cache as left)", later))
    print(line("cold, every pass", every))
    per_process = [ms for result in found["per_process"] for ms in result["ms"]]
    print(line("baseline: per-process caches only, every pass", per_process))
    for name, mine in (("pass 1", first), ("every pass", every)):
        p50 = percentile(per_process, 0.5) / percentile(mine, 0.5)
        p95 = percentile(per_process, 0.95) / percentile(mine, 0.95)
        print(f"per-process baseline / shared cache ({name}): p50 {p50:.2f}×, p95 {p95:.2f}×")
    subset = naive["order"]
    naive_ms = naive["ms"]
    mine_first = [by_request(passes[0])[i] for i in subset]
    mine_every = [statistics.median(by_request(r)[i] for r in passes) for i in subset]
    print(line(f"naive, fresh process, first {len(subset)} requests", naive_ms))
    for name, mine in (("pass 1", mine_first), ("median of passes", mine_every)):
        p50 = percentile(naive_ms, 0.5) / percentile(mine, 0.5)
        p95 = percentile(naive_ms, 0.95) / percentile(mine, 0.95)
        print(
            f"naive / yenni ({name}, same {len(subset)} requests): p50 {p50:.1f}×, p95 {p95:.1f}×"
        )
    worst: dict[int, float] = {}
    for result in passes:
        for i, ms in by_request(result).items():
            worst[i] = max(worst.get(i, 0.0), ms)
    print("slowest requests (worst pass):")
    for i in sorted(worst, key=lambda i: -worst[i])[:6]:
        print(f"  {worst[i]:7.1f} ms  {describe(requests[i])}")
    target = 150 if images <= 30_000 else 250
    p95 = percentile(every, 0.95)
    print(f"target cold p95 ≤ {target} ms (every pass): {'met' if p95 <= target else 'MISSED'}")


def prepare_catalog(args) -> list[str]:
    """Load, describe and embed the demo catalog unless it is there; return the node slugs."""
    from django.core.management import call_command
    from django.db import connection

    from campaigns.models import Campaign, DailyMetric, ImageWeeklyRollup, Node
    from creatives.models import CreativeImage, ImageDescription, ImageEmbedding
    from library.embeddings import embed_described_images, images_lacking_embedding

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the shared cache's table
    images_now = CreativeImage.objects.count()
    if args.reload or images_now < 0.95 * args.images or not Campaign.objects.exists():
        creatives = max(12, round(args.images / IMAGES_PER_CREATIVE))
        if args.history == "fast":
            history_fast_build(seed=args.seed, creatives=creatives, months=args.months)
            # As autovacuum would after a big write (the visibility map, for index-only scans).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        else:
            demo_history_load(seed=args.seed, creatives=creatives, months=args.months)
    started = time.perf_counter()
    if args.history == "fast":
        creatives = max(12, round(args.images / IMAGES_PER_CREATIVE))
        fileless_describe(seed=args.seed, creatives=creatives, months=args.months)
    else:
        call_command("describe_images", "--pending", "--quiet")
    print(f"descriptions checked in {time.perf_counter() - started:.0f} s")
    pending = images_lacking_embedding()
    if pending:
        started = time.perf_counter()
        summary = embed_described_images(pending)
        print(
            f"embedded {summary.embedded:,} images in {summary.seconds:.0f} s "
            f"({summary.reused:,} shared a text with another)"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    print(
        f"catalog: {CreativeImage.objects.count():,} images, "
        f"{ImageDescription.objects.count():,} descriptions, "
        f"{ImageEmbedding.objects.count():,} embeddings, "
        f"{ImageWeeklyRollup.objects.count():,} weekly rollup rows, "
        f"{DailyMetric.objects.count():,} daily metric rows; "
        f"PostgreSQL {connection.pg_version // 10000}"
    )
    return list(Node.objects.order_by("slug").values_list("slug", flat=True))


def history_fast_build(*, seed: int, creatives: int, months: int) -> None:
    """The demo history the fast way (bench/ranking_history.py), then what the demo loader
    does after its rows and the fast builder leaves out: the weekly rollup the library reads."""
    from campaigns.rollups import image_rollup_refresh

    started = time.perf_counter()
    print("building the history fast (bench/ranking_history.py):", flush=True)
    built = fast_history_build(seed=seed, creatives=creatives, months=months)
    print(
        f"history built in {time.perf_counter() - started:.0f} s: "
        f"{built.metric_rows:,} daily rows, {built.ads:,} ads, {built.images:,} images",
        flush=True,
    )
    started = time.perf_counter()
    rows = image_rollup_refresh()
    print(f"weekly rollup: {rows:,} rows in {time.perf_counter() - started:.0f} s")


# Images drawn and described with the heuristic when the rows have no files (--history fast).
DESCRIBED_SAMPLE = 2000


def fileless_describe(*, seed: int, creatives: int, months: int) -> None:
    """Describe images without files (the fast history) by drawing a sample of the plan.

    The heuristic describer reads the image's bytes, which the fast history does not store.
    The plan is drawn again (it is deterministic: the same images in the same order, which is
    the rows' primary-key order), `DESCRIBED_SAMPLE` images evenly spread over it are drawn and
    described as the describe job would, and every image gets the description of the last sampled
    image at or before it in plan order (near-copies sit beside their base). The descriptions'
    words, colours and faces are thus spread as in the demo's, but at most `DESCRIBED_SAMPLE`
    texts are distinct, which also makes embedding them cheap (a text is embedded once).
    """
    from creatives.models import CreativeImage
    from demo.artwork import draw
    from demo.history import plan_history
    from demo.plan import DemoParameters
    from generation.backends import runtime
    from generation.descriptions import (
        _save_descriptions,
        describe_config,
        images_lacking_description,
    )

    config = describe_config()
    describer = runtime.load(config)
    lacking = list(
        images_lacking_description(backend=config.backend, model_id=describer.model_id).values_list(
            "pk", flat=True
        )
    )
    if not lacking:
        return
    started = time.perf_counter()
    plan = plan_history(DemoParameters(seed=seed, creatives=creatives, months=months))
    count = len(plan.images)
    sample = sorted({(i * count) // DESCRIBED_SAMPLE for i in range(DESCRIBED_SAMPLE)})
    found = []
    for start in range(0, len(sample), 50):  # 50 drawn images in memory at a time
        found += describer.describe([draw(plan.images[i].art) for i in sample[start : start + 50]])
    by_index = dict(zip(sample, found, strict=True))
    ids = sorted(CreativeImage.objects.values_list("pk", flat=True))
    if len(ids) != count:
        raise SystemExit(f"{len(ids):,} image rows but the plan has {count:,}: run with --reload")
    nearest = [sample[min(len(sample) - 1, (i * len(sample)) // count)] for i in range(count)]
    wanted = set(lacking)
    results = [(pk, by_index[nearest[i]]) for i, pk in enumerate(ids) if pk in wanted]
    for start in range(0, len(results), 5000):
        _save_descriptions(
            results[start : start + 5000], config.backend, describer.model_id, redo=False
        )
    print(
        f"described {len(results):,} file-less images from {len(sample):,} drawn "
        f"in {time.perf_counter() - started:.0f} s"
    )


def time_requests(args, requests: list[dict]) -> dict:
    """Milliseconds per request: one cold pass, warm passes in shuffled orders, and the first
    `--naive` requests through the naive page; the queries each cold request made."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from library.views import browse as library_views

    user, _ = User.objects.get_or_create(username="bench_library_lead")
    user.groups.add(Group.objects.get(name="Marketing leads"))
    client = Client()
    client.force_login(user)

    def timed(params: dict) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/library/", params)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (params, response.status_code)
        return elapsed, len(queries)

    client.get("/library/")  # the session row and the template loader's cache, not counted
    found: dict = {"cold": [], "counts": [], "warm": [], "naive": []}
    found["by_request"] = {i: [] for i in range(len(requests))}
    for params in requests:
        elapsed, queries = timed(params)
        found["cold"].append(elapsed)
        found["counts"].append(queries)
        if args.verbose:
            print(f"  cold {elapsed:7.1f} ms {queries:3d} queries  {describe(params)}")
    rng = random.Random(args.seed + 1)
    for _ in range(args.rounds):
        order = list(range(len(requests)))
        rng.shuffle(order)
        for i in order:
            elapsed, _queries = timed(requests[i])
            found["warm"].append(elapsed)
            found["by_request"][i].append(elapsed)
    original = library_views.lib.library_page
    library_views.lib.library_page = naive_library_page
    try:
        for i in range(min(args.naive, len(requests))):
            elapsed, queries = timed(requests[i])
            found["naive"].append(elapsed)
            if args.verbose:
                print(f"  naive {elapsed:7.1f} ms {queries:4d} queries  {describe(requests[i])}")
    finally:
        library_views.lib.library_page = original
    return found


def report(args, requests: list[dict], found: dict) -> None:
    cold, warm, naive_times = found["cold"], found["warm"], found["naive"]
    by_request, counts = found["by_request"], found["counts"]
    subset = list(range(len(naive_times)))
    same = [statistics.median(by_request[i]) for i in subset]

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:<34} n={len(values):4d}  p50 {percentile(values, 0.5):8.1f} ms  "
            f"p95 {percentile(values, 0.95):8.1f} ms  max {max(values):8.1f} ms"
        )

    def ratios(name: str, yenni: list[float]) -> str:
        p50 = percentile(naive_times, 0.5) / percentile(yenni, 0.5)
        p95 = percentile(naive_times, 0.95) / percentile(yenni, 0.95)
        return f"naive / yenni ({name}, same requests): p50 {p50:.1f}×, p95 {p95:.1f}×"

    print()
    print(
        f"{len(requests)} distinct requests (seed {args.seed}); queries per page: "
        f"{min(counts)}–{max(counts)}"
    )
    print(line("yenni, cold (first pass)", cold))
    print(line(f"yenni, warm ({args.rounds} passes)", warm))
    print(line("yenni, all passes", cold + warm))
    print(line(f"yenni, warm, first {len(subset)} requests", same))
    print(line(f"naive, same {len(subset)} requests", naive_times))
    print(ratios("warm", same))
    print(ratios("cold", [cold[i] for i in subset]))
    slowest = sorted(range(len(requests)), key=lambda i: -max(by_request[i]))[:5]
    print("slowest warm requests:")
    for i in slowest:
        print(f"  {max(by_request[i]):7.1f} ms  {describe(requests[i])}")
    target = percentile(cold + warm, 0.95)
    print(f"target p95 ≤ 150 ms over all passes: {'met' if target <= 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
