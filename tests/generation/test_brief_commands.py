"""The operator's commands: run_brief (a brief end to end in-process) and share_brief."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Objective
from generation.backends.image.none import HOW_TO_ADD, NO_IMAGE_MODEL
from generation.models import Brief, GeneratedImage, ModelJob, ShareLink
from generation.sharing import links as sharing
from tests.factories import (
    make_node,
    make_traffic_catalog,
)

DAY = dt.date(2026, 10, 5)
BRIEF = [
    "--node",
    "wompi",
    "--objective",
    "traffic",
    "--title",
    "Links de pago",
    "--description",
    "Emprendedora recibiendo pagos con el celular",
    "--tone",
    "cercano",
    "--audience",
    "emprendedores",
]


@pytest.fixture
def catalog(db, media_storage) -> None:
    """Five past Wompi traffic pieces with enough results to rank."""
    node = make_node(name="Wompi", slug="wompi")
    make_node(name="Tu360Compras", slug="tu360compras")
    make_traffic_catalog(node=node, day=DAY, png_seed=700)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("run_brief", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _share(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("share_brief", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- run_brief -----------------------------------------------------------------------------


def test_run_brief_prints_references_prompt_and_why_no_image_model_made_images(catalog, analyst):
    output = _run(*BRIEF, "--user", analyst.username)

    brief = Brief.objects.get()
    assert brief.owner == analyst
    refs = list(brief.references.filter(excluded=False).order_by("-pinned", "order"))
    assert len(refs) == 4
    assert f"Brief {brief.pk}: Links de pago · wompi · traffic" in output
    assert f"References ({len(refs)}):" in output
    for rank, ref in enumerate(refs, start=1):
        assert f"{rank:>2}. image {ref.image_id}: {ref.reason_en}" in output
    prompt = brief.latest_prompt
    assert f"Prompt (version 1, composer):\n  {prompt.positive}\n" in output
    assert f"Negative prompt:\n  {prompt.negative}\n" in output
    job = ModelJob.objects.get(kind=ModelJob.Kind.GENERATE)
    assert job.status == ModelJob.Status.UNAVAILABLE
    assert f"Images (0; job #{job.pk} unavailable" in output
    assert f"  No images: {NO_IMAGE_MODEL}\n" in output
    assert f"  What to do: {HOW_TO_ADD}\n" in output
    assert GeneratedImage.objects.count() == 0


def test_run_brief_with_the_tiny_image_model_prints_four_images_with_their_seeds(
    catalog, analyst, tiny_image_model, django_capture_on_commit_callbacks
):
    # The command runs the generate job itself; the broker (synchronous in tests) receives
    # its copy when the command's transaction callbacks run, afterwards, and must skip it.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        output = _run(*BRIEF, "--user", analyst.username, "--seed", "42")

    assert len(callbacks) == 1  # the generate job was handed to the broker too
    images = list(GeneratedImage.objects.order_by("index"))
    assert [image.seed for image in images] == [42, 43, 44, 45]
    job = ModelJob.objects.get(kind=ModelJob.Kind.GENERATE)
    assert (job.status, job.attempts) == (ModelJob.Status.SUCCEEDED, 1)
    assert f"Images (4; job #{job.pk} succeeded" in output
    for image in images:
        assert f"  seed {image.seed}: {image.file.path}\n" in output
        assert Path(image.file.path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "No images" not in output


def test_a_job_a_worker_ran_first_is_reported_without_running_it_again(catalog, analyst):
    from campaigns.models import Node
    from generation.briefs import services
    from generation.jobs import handlers
    from generation.management.commands.run_brief import Command

    brief = services.brief_create(
        owner=analyst,
        node=Node.objects.get(slug="wompi"),
        objective=Objective.TRAFFIC,
        title="Links de pago",
        description="Pagos con el celular",
    )
    batch = services.batch_queue(brief)
    handlers.model_job_run(batch.job_id)  # a worker took the broker's copy first

    job = Command(stdout=io.StringIO(), stderr=io.StringIO())._run(batch.job)

    assert (job.status, job.attempts) == (ModelJob.Status.UNAVAILABLE, 1)
    assert job.error == NO_IMAGE_MODEL


def test_run_brief_as_json_prints_one_object_with_the_whole_run(catalog, analyst):
    output = _run(*BRIEF, "--user", analyst.username, "--images", "2", "--json")

    report = json.loads(output)
    brief = Brief.objects.get()
    assert set(report) == {"brief", "ranking", "references", "prompt", "job", "images", "seconds"}
    assert report["brief"]["id"] == brief.pk
    assert report["brief"]["node"] == "wompi"
    assert report["brief"]["owner"] == analyst.username
    assert report["brief"]["url"].endswith(f"/briefs/{brief.pk}/")
    assert report["ranking"]["rule_version"] == brief.ranking_rule_version
    refs = brief.references.filter(excluded=False).order_by("-pinned", "order")
    assert [(r["rank"], r["image_id"], r["reason"]) for r in report["references"]] == [
        (rank, ref.image_id, ref.reason_en) for rank, ref in enumerate(refs, start=1)
    ]
    assert report["prompt"]["positive"] == brief.latest_prompt.positive
    assert report["prompt"]["negative"] == brief.latest_prompt.negative
    assert report["job"]["status"] == "unavailable"
    assert report["job"]["error"] == NO_IMAGE_MODEL
    assert report["job"]["how_to_fix"] == HOW_TO_ADD
    assert report["images"] == []
    assert brief.image_count == 2


def test_run_brief_owner_defaults_to_a_marketing_lead(catalog, lead):
    _run(*BRIEF)

    assert Brief.objects.get().owner == lead


def test_run_brief_without_a_user_to_own_the_brief_says_to_pass_one(catalog):
    with pytest.raises(CommandError, match="pass --user USERNAME"):
        _run(*BRIEF)

    assert Brief.objects.count() == 0


def test_run_brief_with_an_unknown_user_names_it(catalog):
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        _run(*BRIEF, "--user", "nobody")


def test_run_brief_with_a_bad_node_lists_the_valid_nodes(catalog, analyst):
    args = [*BRIEF, "--user", analyst.username]
    args[args.index("wompi")] = "wompy"

    with pytest.raises(CommandError) as error:
        _run(*args)

    assert str(error.value) == "No business unit 'wompy'. Valid --node values: tu360compras, wompi."
    assert Brief.objects.count() == 0


def test_run_brief_with_a_bad_objective_lists_the_valid_objectives(catalog, analyst):
    args = [*BRIEF, "--user", analyst.username]
    args[args.index("traffic")] = "sales"

    with pytest.raises(CommandError) as error:
        _run(*args)

    assert str(error.value) == (
        "No objective 'sales'. Valid --objective values: "
        "awareness, traffic, engagement, leads, conversion, other."
    )
    assert Brief.objects.count() == 0


def test_run_brief_with_too_many_images_explains_the_limit(catalog, analyst):
    with pytest.raises(CommandError, match="image_count"):
        _run(*BRIEF, "--user", analyst.username, "--images", "9")

    assert Brief.objects.count() == 0
    assert ModelJob.objects.count() == 0


def test_run_brief_with_an_unknown_style_lists_the_styles(catalog, analyst):
    with pytest.raises(CommandError, match="No active style preset 'neon'"):
        _run(*BRIEF, "--user", analyst.username, "--style", "neon")


# --- share_brief ---------------------------------------------------------------------------


@pytest.fixture
def brief(catalog, analyst) -> Brief:
    _run(*BRIEF, "--user", analyst.username)
    return Brief.objects.get()


def _token(url: str) -> str:
    match = re.fullmatch(r"/s/([A-Za-z0-9_-]+)/", urlsplit(url).path)
    assert match, url
    return match.group(1)


def test_share_brief_prints_a_url_whose_token_opens_the_share_page(client, brief):
    out, err = _share(str(brief.pk), "--agency", "Agencia Norte", "--days", "10")

    url = out.strip()
    assert url.startswith("http://127.0.0.1:8000/s/")  # the test settings' YENNI_BASE_URL
    assert "Agencia Norte" in err and "without figures" in err
    link = ShareLink.objects.get()
    assert (link.agency, link.show_figures) == ("Agencia Norte", False)
    assert link.token_hash == sharing.token_hash(_token(url))
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert "Links de pago" in response.content.decode()


def test_share_brief_uses_the_base_url_given_or_the_setting(brief, settings):
    settings.YENNI_BASE_URL = "https://yenni.banco.example"

    from_setting, _ = _share(str(brief.pk), "--agency", "A", "--days", "1")
    given, _ = _share(
        str(brief.pk), "--agency", "B", "--days", "1", "--base-url", "https://x.example/"
    )

    assert from_setting.startswith("https://yenni.banco.example/s/")
    assert given.startswith("https://x.example/s/")


def test_share_brief_with_figures_makes_a_link_that_shows_them(brief):
    _out, err = _share(str(brief.pk), "--agency", "Norte", "--days", "3", "--figures")

    assert ShareLink.objects.get().show_figures is True
    assert "with figures" in err


def test_share_brief_revoke_makes_the_link_gone(client, brief):
    out, _err = _share(str(brief.pk), "--agency", "Agencia Norte", "--days", "10")
    path = urlsplit(out.strip()).path

    revoked, _ = _share(str(brief.pk), "--revoke")

    assert revoked.strip() == f"Revoked 1 active link on brief {brief.pk}."
    response = client.get(path)
    assert response.status_code == 410
    assert 'data-testid="link-gone"' in response.content.decode()


def test_share_brief_revoke_for_an_agency_keeps_the_other_agencies_links(client, brief):
    norte, _ = _share(str(brief.pk), "--agency", "Agencia Norte", "--days", "10")
    sur, _ = _share(str(brief.pk), "--agency", "Agencia Sur", "--days", "10")

    revoked, _ = _share(str(brief.pk), "--revoke", "--agency", "agencia norte")
    again, _ = _share(str(brief.pk), "--revoke", "--agency", "agencia norte")

    assert revoked.strip() == f"Revoked 1 active link for agencia norte on brief {brief.pk}."
    assert again.strip() == f"Revoked 0 active links for agencia norte on brief {brief.pk}."
    assert client.get(urlsplit(norte.strip()).path).status_code == 410
    assert client.get(urlsplit(sur.strip()).path).status_code == 200


def test_a_forged_token_does_not_open_a_shared_brief(client, brief):
    out, _ = _share(str(brief.pk), "--agency", "Norte", "--days", "10")
    forged = secrets.token_urlsafe(sharing.TOKEN_BYTES)
    assert len(forged) == len(_token(out.strip()))

    response = client.get(f"/s/{forged}/")

    assert response.status_code == 404
    assert ShareLink.objects.get().view_count == 0


def test_share_brief_refuses_an_unknown_brief_a_missing_agency_and_bad_days(brief):
    with pytest.raises(CommandError, match="No brief with id 999999"):
        _share("999999", "--agency", "Norte")
    with pytest.raises(CommandError, match="--agency NAME"):
        _share(str(brief.pk), "--days", "3")
    with pytest.raises(CommandError, match="between 1 and 90 days"):
        _share(str(brief.pk), "--agency", "Norte", "--days", "91")

    assert ShareLink.objects.count() == 0
