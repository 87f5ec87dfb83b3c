"""Time the agency's share page and the analyst's brief page against a cheap Django page, same run.

    python bench/web.py                                   # fresh SQLite in a temp dir, 2 workers
    python bench/web.py --workers 2 --clients 50 --rounds 7 --duration 4
    python bench/web.py --database-url postgres://postgres@127.0.0.1:5432/yenni_bench_web

It builds a database (by default a new SQLite file in a temporary folder, deleted afterwards;
with `--database-url` a PostgreSQL database, created if missing and reused, demo history
loaded once), loads a small demo history, opens one analyst's brief with two picked images
and a share link, and serves the app with gunicorn (sync workers, production settings, DEBUG
off) on a free local port. Three pages are compared:

- baseline: the login page (GET /accounts/login/): a template render with a CSRF token and no
  database query, the cheapest real page the app has (there is no health-check URL);
- share: the agency's share page (GET /s/<token>/): resolve the token, count the view (one
  UPDATE per request), read images, references and the prompt, render;
- brief: the analyst's brief page (GET /briefs/<id>/) with a signed-in session.

The pages are interleaved: after one untimed warm-up of each, `--rounds` rounds each time every
page for `--duration` seconds, the order rotating from round to round (baseline, share, brief;
then share, brief, baseline; …), so a burst of load from elsewhere on the machine falls on all
three rather than on whichever page happened to run then. The load comes from `--clients`
client threads spread over `--client-processes` processes started apart from this driver
(multiprocessing, spawn), each thread with its own HTTP session fetching the page back to
back; the driver only hands out the rounds and collects the latencies, so its own GIL never
holds a client back.

Only the HTML is fetched, not the images or the stylesheet. For each round it prints every
page's requests/s, p50 and p99; then, per page, the median over rounds of those figures, and
the median over rounds of each page's per-round p50 and p99 ratio to the baseline measured in
the same round (with the smallest and largest). It checks that the share link counted
exactly the share page views that succeeded. Server and clients share the machine, so the
absolute numbers are a floor; the ratios are the figures to compare.
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
        # The config run.sh passes: each worker loads the library's search encoder and vectors
        # before its first request, so the server starts as it does in use.
        "--config",
        "python:yenni_site.gunicorn_conf",
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


def hammer(
    url: str, cookies: dict[str, str], *, clients: int, seconds: float, start_at: float
) -> dict:
    """`clients` threads fetch url back to back from the wall-clock time start_at for `seconds`.

    Runs in a client process; returns plain data (latencies, statuses, errors) to the driver.
    """
    import requests

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)

    def client() -> None:
        session = requests.Session()
        session.cookies.update(cookies)
        mine: list[float] = []
        codes: dict[int, int] = {}
        failed = 0
        ready.wait()
        deadline = time.perf_counter() + seconds
        while True:
            began = time.perf_counter()
            if began >= deadline:
                break
            try:
                response = session.get(url, timeout=60, allow_redirects=False)
                response.content  # noqa: B018 - read the whole body before stopping the clock
            except requests.RequestException:
                failed += 1
                continue
            mine.append(time.perf_counter() - began)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed
            for status, count in codes.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    # Every client process starts at the same moment, the one the driver named.
    time.sleep(max(0.0, start_at - time.time()))
    ready.wait()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "statuses": statuses, "errors": errors[0]}


def _client_process(conn, threads: int) -> None:
    """A client process: run each page the driver sends, answer with what was measured."""
    while True:
        order = conn.recv()
        if order is None:
            conn.close()
            return
        conn.send(hammer(**order, clients=threads))


class ClientPool:
    """Client processes apart from the driver, started once and reused for every round."""

    def __init__(self, *, clients: int, processes: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        processes = max(1, min(processes, clients))
        shares = [clients // processes + (i < clients % processes) for i in range(processes)]
        self.links = []
        self.processes = []
        for threads in shares:
            mine, theirs = context.Pipe()
            process = context.Process(target=_client_process, args=(theirs, threads), daemon=True)
            process.start()
            self.links.append(mine)
            self.processes.append(process)

    def run(self, base: str, target: Target, seconds: float) -> Result:
        """Every process loads the page at once for `seconds`; their measurements merged."""
        # Time for each process to receive the order and start its threads.
        start_at = time.time() + 0.3
        order = {
            "url": base + target.path,
            "cookies": target.cookies,
            "seconds": seconds,
            "start_at": start_at,
        }
        for link in self.links:
            link.send(order)
        result = Result(target=target, seconds=seconds)
        for link in self.links:
            part = link.recv()
            result.latencies.extend(part["latencies"])
            result.errors += part["errors"]
            for status, count in part["statuses"].items():
                result.statuses[status] = result.statuses.get(status, 0) + count
        return result

    def close(self) -> None:
        for link in self.links:
            link.send(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()


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
        pool = None
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
            pool = ClientPool(clients=args.clients, processes=args.client_processes)
            rounds, share_ok = time_rounds(args, base, targets, pool)
            report(rounds, [target.name for target in targets])
            report_share_views(setup["link_id"], share_ok)
        finally:
            if pool is not None:
                pool.close()
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
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the clients run in (2)"
    )
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (7)")
    parser.add_argument("--duration", type=float, default=4, help="seconds per page per round (4)")
    parser.add_argument(
        "--warmup", type=float, default=2, help="untimed seconds per page first (2)"
    )
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
        f"gunicorn: {args.workers} sync workers × {args.threads} thread(s); {args.clients} "
        f"client threads in {args.client_processes} processes apart from the driver; "
        f"{args.rounds} rounds of {args.duration:g} s per page, interleaved, after "
        f"{args.warmup:g} s warm-up each; {os.cpu_count()} CPUs shared by server and clients"
    )


def time_rounds(
    args: argparse.Namespace, base: str, targets: list[Target], pool: ClientPool
) -> tuple[list[dict[str, Result]], int]:
    """Warm every page up, then time them in rounds, the order rotating each round.

    Returns each round's results by page name and how many share pages were served
    successfully (check_page's one included), printing a line per page and round.
    """
    share_ok = 1  # check_page opened the share page once
    if args.warmup:
        for target in targets:
            warm = pool.run(base, target, args.warmup)
            share_ok += warm.ok if target.name == "share" else 0
    rounds: list[dict[str, Result]] = []
    for number in range(args.rounds):
        shift = number % len(targets)
        results: dict[str, Result] = {}
        for target in targets[shift:] + targets[:shift]:
            result = pool.run(base, target, args.duration)
            if not result.ok:
                raise SystemExit(f"{target.name}: no request succeeded ({result.statuses}).")
            share_ok += result.ok if target.name == "share" else 0
            results[target.name] = result
            print(f"round {number + 1}: {_line(result)}", flush=True)
        rounds.append(results)
    return rounds, share_ok


def _line(result: Result) -> str:
    others = {s: n for s, n in result.statuses.items() if s != 200}
    problems = f", other statuses {others}" if others else ""
    problems += f", {result.errors} connection errors" if result.errors else ""
    return (
        f"{result.target.name:>8}: {result.rate:8.1f} req/s   "
        f"p50 {statistics.median(result.latencies) * 1000:7.1f} ms   "
        f"p99 {percentile(result.latencies, 0.99) * 1000:7.1f} ms   "
        f"({result.ok:,} OK{problems})"
    )


def report(rounds: list[dict[str, Result]], names: list[str]) -> None:
    """Each page's median over rounds, then each page's ratios to the same round's baseline."""
    print(f"medians over {len(rounds)} rounds:")
    for name in names:
        results = [results[name] for results in rounds]
        rate = statistics.median(r.rate for r in results)
        p50 = statistics.median(statistics.median(r.latencies) for r in results) * 1000
        p99 = statistics.median(percentile(r.latencies, 0.99) for r in results) * 1000
        print(f"{name:>8}: {rate:8.1f} req/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    for name in names[1:]:
        ratios = {"p50": [], "p99": [], "throughput": []}
        for results in rounds:
            page, base = results[name], results["baseline"]
            ratios["p50"].append(
                statistics.median(page.latencies) / statistics.median(base.latencies)
            )
            ratios["p99"].append(
                percentile(page.latencies, 0.99) / percentile(base.latencies, 0.99)
            )
            ratios["throughput"].append(page.rate / base.rate)
        print(
            f"{name}/baseline, median of per-round ratios (min–max): "
            + ", ".join(
                f"{what} {statistics.median(values):.2f}× ({min(values):.2f}–{max(values):.2f})"
                for what, values in ratios.items()
            )
        )


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
