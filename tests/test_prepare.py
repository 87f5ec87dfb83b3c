"""`manage.py yenni_prepare`: what scripts/run.sh does before serving, with its skip rules.

A second run skips collectstatic only when neither a static source nor the collected files
changed, and skips migrate only when Django's plan has nothing to apply (issue 17 item 4).
"""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count

from campaigns.models import Campaign, Node
from creatives.models import CreativeImage, ImageDescription
from generation.briefs.services import PROMPT_REFERENCES, brief_create
from yenni_site import prepare


@pytest.fixture
def static_folders(settings, tmp_path) -> tuple[Path, Path]:
    """A static source folder with one stylesheet, and an empty collect target, both private."""
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: #123; }\n")
    target = tmp_path / "collected"
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = target
    settings.DATA_DIR = tmp_path / "var"
    return source, target


def test_the_first_run_collects_and_the_second_skips_the_unchanged_files(static_folders):
    _, target = static_folders

    assert prepare.collectstatic_if_changed() == "collected"
    assert (target / "css" / "site.css").read_text() == "body { color: #123; }\n"
    assert prepare.collectstatic_if_changed() == "skipped: unchanged"


def test_a_changed_static_file_is_collected_on_the_next_run(static_folders):
    source, target = static_folders
    prepare.collectstatic_if_changed()

    (source / "css" / "site.css").write_text("body { color: #456; }\n")

    assert prepare.collectstatic_if_changed() == "collected"
    assert (target / "css" / "site.css").read_text() == "body { color: #456; }\n"
    assert prepare.collectstatic_if_changed() == "skipped: unchanged"


def test_a_new_static_file_is_collected_on_the_next_run(static_folders):
    source, target = static_folders
    prepare.collectstatic_if_changed()

    (source / "css" / "print.css").write_text("@page { margin: 1cm; }\n")

    assert prepare.collectstatic_if_changed() == "collected"
    assert (target / "css" / "print.css").read_text() == "@page { margin: 1cm; }\n"


def test_collected_files_deleted_since_the_last_run_are_collected_again(static_folders):
    _, target = static_folders
    prepare.collectstatic_if_changed()

    (target / "css" / "site.css").unlink()

    assert prepare.collectstatic_if_changed() == "collected"
    assert (target / "css" / "site.css").is_file()


def test_a_failed_collect_leaves_no_stamp_so_the_next_run_collects(static_folders):
    def broken_collect() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        prepare.collectstatic_if_changed(collect=broken_collect)

    assert not prepare.static_stamp_path().exists()
    assert prepare.collectstatic_if_changed() == "collected"


def test_the_static_fingerprint_depends_on_content_not_on_modification_times(static_folders):
    source, _ = static_folders
    before = prepare.static_sources_fingerprint()
    stylesheet = source / "css" / "site.css"
    stat = stylesheet.stat()

    os.utime(stylesheet, ns=(stat.st_atime_ns + 10**9, stat.st_mtime_ns + 10**9))
    assert prepare.static_sources_fingerprint() == before

    stylesheet.write_text("body { color: #124; }\n")
    assert prepare.static_sources_fingerprint() != before


def _migrate_to(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _previous(app_label: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The app's latest migration and the one before it."""
    graph = MigrationExecutor(connection).loader.graph
    leaf = next(node for node in graph.leaf_nodes() if node[0] == app_label)
    parent = next(node for node in graph.node_map[leaf].parents if node[0] == app_label)
    return leaf, parent


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pending_migration_is_applied_on_the_next_run_and_then_nothing_is():
    assert prepare.migrations_pending() == []
    assert prepare.migrate_if_pending() == "up to date"

    # A database one migration behind is what a pulled migration file looks like to the run.
    leaf, parent = _previous("generation")
    _migrate_to([parent])
    try:
        pending = prepare.migrations_pending()
        assert f"{leaf[0]}.{leaf[1]}" in pending

        assert prepare.migrate_if_pending() == f"{len(pending)} applied"
        assert prepare.migrations_pending() == []
    finally:
        _migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _prepare(*args: str) -> str:
    out = StringIO()
    call_command("yenni_prepare", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_prepare_loads_the_demo_once_and_prints_the_users_and_each_stage(static_folders):
    first = _prepare("--demo-args", "--creatives 12 --months 1")

    lines = first.splitlines()
    stages = lines[-1]
    assert stages.startswith("Stages: migrate ")
    for stage in (
        "migrate",
        "cache table",
        "collectstatic",
        "demo history",
        "describe",
        "users",
        "schedule",
    ):
        assert f", {stage} " in stages or stages.startswith(f"Stages: {stage} ")
    assert "(up to date)" in stages
    assert "collectstatic " in stages and "(collected)" in stages
    assert "(loaded)" in stages
    images = CreativeImage.objects.count()
    assert images >= 12
    assert f"({images} images)" in stages
    assert any("user: analista" in line for line in lines)
    assert any("user: lider" in line for line in lines)

    second = _prepare("--demo-args", "--creatives 12 --months 1")

    stages = second.splitlines()[-1]
    assert "(skipped: unchanged)" in stages
    assert "(already loaded)" in stages
    assert "(0 images)" in stages
    assert CreativeImage.objects.count() == images
    # The same generated passwords on every run.
    assert second.splitlines()[:-1] == lines[:-1]


@pytest.mark.django_db
def test_prepare_reports_the_start_up_when_run_sh_says_when_it_began(static_folders, monkeypatch):
    monkeypatch.setenv("YENNI_PREPARE_STARTED", f"{time.time() - 2.5:.3f}")

    stages = _prepare("--no-demo").splitlines()[-1]

    assert stages.startswith("Stages: start-up ")
    seconds = float(stages.removeprefix("Stages: start-up ").split(" s")[0])
    assert 2.5 <= seconds < 60
    assert "demo history" not in stages


@pytest.mark.django_db
def test_a_failing_demo_load_still_prepares_the_rest(static_folders):
    err = StringIO()
    out = StringIO()

    call_command("yenni_prepare", "--demo-args", "--creatives 5", stdout=out, stderr=err)

    stages = out.getvalue().splitlines()[-1]
    assert "demo history" in stages and "(failed)" in stages
    assert "users " in stages and "schedule " in stages
    assert "--creatives must be at least 12" in err.getvalue()
    assert "loading the demo history failed" in err.getvalue()
    assert CreativeImage.objects.count() == 0


@pytest.mark.django_db
def test_before_the_background_describing_the_library_serves_and_a_brief_describes_its_references(
    static_folders, settings, tmp_path, analyst, client
):
    """run.sh serves before describing (--no-describe); the pages must not need descriptions."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
    stages = _prepare("--no-describe", "--demo-args", "--creatives 12 --months 1").splitlines()[-1]
    assert "describe" not in stages
    assert ImageDescription.objects.count() == 0
    client.force_login(analyst)

    page = client.get("/library/")

    assert page.status_code == 200
    assert page.context["result"].count == CreativeImage.objects.count() > 0
    busiest = (
        Campaign.objects.values("node", "objective")
        .annotate(ads=Count("ads"))
        .order_by("-ads", "node", "objective")
        .first()
    )
    brief = brief_create(
        owner=analyst,
        node=Node.objects.get(pk=busiest["node"]),
        objective=busiest["objective"],
        title="Pagos con QR",
        description="Pagos con el celular en tiendas de barrio",
    )
    references = list(
        brief.references.filter(excluded=False)
        .order_by("-pinned", "order")
        .values_list("image_id", flat=True)[:PROMPT_REFERENCES]
    )
    assert references
    described = set(
        ImageDescription.objects.filter(image_id__in=references).values_list("image_id", flat=True)
    )
    assert described == set(references)
    assert brief.latest_prompt is not None


def test_a_stage_that_waited_for_the_cores_shows_its_cpu_seconds_too():
    times = prepare.StageTimes()
    times.add("demo history", 59.1, "loaded", cpu=24.04)
    times.add("migrate", 10.4, "91 applied", cpu=9.0)
    times.add("users", 1.9, cpu=0.2)
    times.add("schedule", 0.04)

    assert times.summary() == (
        "demo history 59.1 s (loaded; 24.0 s CPU), migrate 10.4 s (91 applied), "
        "users 1.9 s, schedule 0.0 s"
    )


def test_a_timed_stage_records_its_wall_and_cpu_seconds_and_its_note():
    times = prepare.StageTimes()

    with times.stage("collectstatic") as note:
        time.sleep(0.05)
        note["note"] = "skipped: unchanged"

    ((name, seconds, text, cpu),) = times.stages
    assert (name, text) == ("collectstatic", "skipped: unchanged")
    assert 0.05 <= seconds < 5
    assert 0 <= cpu < seconds
