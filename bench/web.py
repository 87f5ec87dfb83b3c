"""Time the agency's share page and the analyst's brief page against a cheap Django page, same run.

    python bench/web.py                                   # fresh SQLite in a temp dir, 2 workers
    python bench/web.py --workers 4 --clients 50 --duration 20
    python bench/web.py --database-url postgres://postgres@127.0.0.1:5432/yenni_bench_web

It builds a database (by default a new SQLite file in a temporary folder, deleted afterwards;
with `--database-url` a PostgreSQL database, created if missing and reused, demo history
loaded once), loads a small demo history, opens one analyst's brief with two picked images
and a share link, and serves the app with gunicorn (sync workers, production settings, DEBUG
off) on a free local port. Then `--clients` threads, each with its own HTTP session, fetch one
page as fast as they can for `--duration` seconds (after a short warm-up), one target at a
time:

- baseline: the login page (GET /accounts/login/): a template render with a CSRF token and no
  database query, the cheapest real page the app has (there is no health-check URL);
- share: the agency's share page (GET /s/<token>/): resolve the token, count the view (one
  UPDATE per request), read images, references and the prompt, render;
- brief: the analyst's brief page (GET /briefs/<id>/) with a signed-in session.

Only the HTML is fetched, not the images or the stylesheet. It prints requests/s, p50 and p99
latency for each and the ratios to the baseline, and checks that the share link counted
exactly the share page views that succeeded. The client threads share the machine (and
Python's GIL) with the server, so on a small machine the absolute numbers are a floor; the
ratios, measured the same way in the same run, are the figures to compare.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
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

ANALYST = "bench_analyst"
PASSWORD = "bench-Pass-2026!"


@dataclass
class Target:
    name: str
    path: str
    note: str
    cookies: dict[str, str] = field(default_factory=dict)
    expect: str = ""


@dataclass
class Result:
    target: Target
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(args: argparse.Namespace) -> dict:
    """Migrate, load the demo history, make the analyst, the brief, its picks and share link."""
    from django.db import connections

    _database_ready(args)
    summary = _shared_brief(_analyst())
    connections.close_all()
    return summary


def _database_ready(args: argparse.Namespace) -> None:
    """Tables, static files and the demo history with what briefs read prebuilt."""
    from django.core.management import call_command

    from campaigns.models import Campaign

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    call_command("collectstatic", "--noinput", verbosity=0)
    print(f"static files collected in {time.perf_counter() - started:.1f} s")
    if args.reload or not Campaign.objects.exists():
        demo_history_load(
            seed=args.seed,
            creatives=args.creatives,
            months=args.months,
            stdout=subprocess.DEVNULL,
        )
    # The demo refreshes the ranking tables as it loads; they answer any day.


def _analyst():
    """The bench's analyst, with the password the login form is given."""
    from django.contrib.auth.models import Group, User

    analyst, _ = User.objects.get_or_create(username=ANALYST)
    analyst.set_password(PASSWORD)
    analyst.save()
    analyst.groups.add(Group.objects.get(name="Analysts"))
    return analyst


def _shared_brief(analyst) -> dict:
    """A brief of the first node × objective with two picked images and a share link; what
    the timing needs to know of them."""
    from campaigns.models import DailyMetric
    from campaigns.ranking.selectors import node_objective_pairs
    from generation.briefs import services
    from generation.sharing import links as sharing

    node, objective = node_objective_pairs()[0]
    brief = services.brief_create(
        owner=analyst,
        node=node,
        objective=objective,
        title="Pagos con el celular para emprendedores",
        description="Una emprendedora recibe pagos con el celular en su tienda de barrio.",
        audience="Emprendedores de 25 a 40 años",
        tone="cercano, alegre, confiable",
    )
    _picked_batch(brief, picks=(1, 3))
    link, token = sharing.share_link_create(brief=brief, agency="Agencia Bench", days=7)
    return {
        "brief_id": brief.pk,
        "brief_title": brief.title,
        "references": brief.references.filter(excluded=False).count(),
        "link_id": link.pk,
        "token": token,
        "metric_rows": DailyMetric.objects.count(),
        "node": node.name,
        "objective": objective,
    }


def _picked_batch(brief, *, picks: tuple[int, ...]) -> None:
    """A finished generation of four 256² images on the brief, the ones at picks picked."""
    from django.core.files.base import ContentFile
    from PIL import Image

    from generation.briefs import services
    from generation.models import GeneratedImage, ImageBatch, ModelJob

    job = ModelJob.objects.create(
        kind=ModelJob.Kind.GENERATE, backend="sdxl", brief=brief, status=ModelJob.Status.SUCCEEDED
    )
    batch = ImageBatch.objects.create(
        brief=brief,
        job=job,
        prompt_version=brief.latest_prompt,
        image_count=4,
        seed=1234,
        steps=30,
        width=256,
        height=256,
    )
    for index in range(4):
        buffer = io.BytesIO()
        Image.new("RGB", (256, 256), (40 * index, 90, 160)).save(buffer, format="PNG")
        image = GeneratedImage(batch=batch, index=index, seed=1234 + index, width=256, height=256)
        image.file.save(f"bench-{brief.pk}-{index}.png", ContentFile(buffer.getvalue()))
        if index in picks:
            services.generated_image_pick(image, picked=True)


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "yenni_site.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--timeout",
        "120",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())


def wait_ready(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            if requests.get(base + "/accounts/login/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within a minute")


def sign_in(base: str) -> dict[str, str]:
    """Log the analyst in through the login form; return the session's cookies."""
    import requests

    session = requests.Session()
    page = session.get(base + "/accounts/login/", timeout=10)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise SystemExit("The login page has no CSRF token field.")
    answer = session.post(
        base + "/accounts/login/",
        data={"username": ANALYST, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"Signing in failed: HTTP {answer.status_code}")
    return session.cookies.get_dict()


def hammer(base: str, target: Target, *, clients: int, seconds: float) -> Result:
    """`clients` threads fetch the page back to back for `seconds`; collect every latency."""
    import requests

    result = Result(target=target, seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    url = base + target.path

    def client() -> None:
        session = requests.Session()
        session.cookies.update(target.cookies)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        start.wait()
        deadline = time.perf_counter() + seconds
        while True:
            began = time.perf_counter()
            if began >= deadline:
                break
            try:
                response = session.get(url, timeout=60, allow_redirects=False)
                response.content  # noqa: B018 - read the whole body before stopping the clock
            except requests.RequestException:
                errors += 1
                continue
            latencies.append(time.perf_counter() - began)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    return result


def check_page(base: str, target: Target) -> None:
    import requests

    response = requests.get(
        base + target.path, cookies=target.cookies, allow_redirects=False, timeout=30
    )
    if response.status_code != 200 or (target.expect and target.expect not in response.text):
        raise SystemExit(
            f"{target.name}: GET {target.path} answered HTTP {response.status_code} "
            f"without the expected content; fix the page before timing it."
        )


def main() -> None:
    args = parse_args()
    with machine_load_printed():
        workdir = Path(tempfile.mkdtemp(prefix="yenni-bench-web-"))
        server = None
        try:
            database = configure(args, workdir)
            setup = prepare(args)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(args, port)
            wait_ready(base, server)
            targets = page_targets(base, setup)
            for target in targets:
                check_page(base, target)
            print_setup(args, database, setup)
            results, share_ok = time_targets(args, base, targets)
            report_ratios(results)
            report_share_views(setup["link_id"], share_ok)
        finally:
            stop_server(server)
            if args.keep:
                print(f"data kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = bench_parser(__doc__)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: fresh SQLite file).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per target (10)")
    parser.add_argument("--warmup", type=float, default=2, help="untimed seconds first (2)")
    parser.add_argument("--creatives", type=int, default=300, help="demo size (300)")
    parser.add_argument("--months", type=int, default=6, help="demo history months (6)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reload", action="store_true", help="rebuild the demo history")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args()


def configure(args: argparse.Namespace, workdir: Path) -> str:
    """Production settings (DEBUG off) on the bench's database; say which database it is."""
    django_setup(
        database_url=args.database_url,
        data_dir=workdir / "data",
        YENNI_DEBUG="0",
        YENNI_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    if args.database_url:
        return "PostgreSQL"
    return f"SQLite ({workdir / 'data' / 'yenni.sqlite3'})"


def page_targets(base: str, setup: dict) -> list[Target]:
    """The baseline, the agency's share page and the signed-in analyst's brief page."""
    return [
        Target("baseline", "/accounts/login/", "login page", expect="csrfmiddlewaretoken"),
        Target("share", f"/s/{setup['token']}/", "share page", expect='data-testid="shared-image"'),
        Target(
            "brief",
            f"/briefs/{setup['brief_id']}/",
            "brief page, signed in",
            cookies=sign_in(base),
            expect=setup["brief_title"],
        ),
    ]


def print_setup(args: argparse.Namespace, database: str, setup: dict) -> None:
    print(
        f"{database}; {setup['metric_rows']:,} daily metric rows; brief {setup['brief_id']} "
        f"({setup['node']} × {setup['objective']}) with {setup['references']} references and "
        f"2 picked images"
    )
    print(
        f"gunicorn: {args.workers} sync workers × {args.threads} thread(s); "
        f"{args.clients} client threads; {args.duration:g} s per target after "
        f"{args.warmup:g} s warm-up; {os.cpu_count()} CPUs shared by server and clients"
    )


def time_targets(
    args: argparse.Namespace, base: str, targets: list[Target]
) -> tuple[dict[str, Result], int]:
    """Warm up and time each target in turn, printing its line; the results by name and how
    many share pages were served successfully (check_page's one included)."""
    results: dict[str, Result] = {}
    share_ok = 1  # check_page opened the share page once
    for target in targets:
        if args.warmup:
            warm = hammer(base, target, clients=args.clients, seconds=args.warmup)
            share_ok += warm.ok if target.name == "share" else 0
        result = hammer(base, target, clients=args.clients, seconds=args.duration)
        if not result.ok:
            raise SystemExit(f"{target.name}: no request succeeded ({result.statuses}).")
        share_ok += result.ok if target.name == "share" else 0
        results[target.name] = result
        others = {s: n for s, n in result.statuses.items() if s != 200}
        problems = f", other statuses {others}" if others else ""
        problems += f", {result.errors} connection errors" if result.errors else ""
        print(
            f"{target.name:>8}: {result.rate:8.1f} req/s   "
            f"p50 {statistics.median(result.latencies) * 1000:7.1f} ms   "
            f"p99 {percentile(result.latencies, 0.99) * 1000:7.1f} ms   "
            f"({result.ok:,} OK{problems})   GET {target.note}"
        )
    return results, share_ok


def report_ratios(results: dict[str, Result]) -> None:
    base_result = results["baseline"]
    for name in ("share", "brief"):
        result = results[name]
        p50 = statistics.median(result.latencies) / statistics.median(base_result.latencies)
        p99 = percentile(result.latencies, 0.99) / percentile(base_result.latencies, 0.99)
        rate = result.rate / base_result.rate
        print(f"{name}/baseline: p50 {p50:.2f}×, p99 {p99:.2f}×, throughput {rate:.2f}×")


def report_share_views(link_id: int, share_ok: int) -> None:
    """Check that the share link counted exactly the share pages served."""
    from generation.models import ShareLink

    counted = ShareLink.objects.get(pk=link_id).view_count
    verdict = "matches" if counted == share_ok else "DOES NOT match"
    print(f"share link view_count {counted:,} {verdict} the {share_ok:,} share pages served")


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None:
        return
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


if __name__ == "__main__":
    main()
