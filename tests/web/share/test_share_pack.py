"""The download pack: picked images, the brief page and the evidence."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

from django.urls import reverse
from django.utils import timezone, translation

from generation.sharing import pack
from tests.web.share.helpers import _file_bytes, _share, _zip


def test_the_pack_holds_the_picked_images_the_brief_page_and_the_evidence(client, brief, images):
    _link, token = _share(brief)
    kept = list(brief.references.filter(excluded=False).order_by("-pinned", "order"))

    response = client.get(reverse("share_pack", args=[token]), {"lang": "en"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="yenni-brief-{brief.pk}-links-de-pago.zip"'
    )
    assert response["Cache-Control"] == "private, no-store"
    archive = _zip(response)
    assert archive.testzip() is None
    image_names = [f"images/01-seed{images[1].seed}.png", f"images/02-seed{images[3].seed}.png"]
    reference_names = [
        f"references/{rank:02d}-image{ref.image_id}.png" for rank, ref in enumerate(kept, 1)
    ]
    assert archive.namelist() == ["brief.html", "evidence.json", *image_names, *reference_names]
    assert archive.read(image_names[0]) == _file_bytes(images[1].file)
    assert archive.read(image_names[1]) == _file_bytes(images[3].file)
    assert archive.read(reference_names[0]) == _file_bytes(kept[0].image.file)

    page = archive.read("brief.html").decode()
    for name in [*image_names, *reference_names]:
        assert f'src="{name}"' in page
    assert "Links de pago" in page
    assert "<link" not in page and "<script" not in page and 'src="/' not in page


def test_the_evidence_lists_the_brief_references_prompt_and_image_settings(client, brief, images):
    _link, token = _share(brief)
    prompt = brief.latest_prompt

    archive = _zip(client.get(reverse("share_pack", args=[token]), {"lang": "en"}))
    evidence = json.loads(archive.read("evidence.json"))

    assert set(evidence) == {
        "brief",
        "agency",
        "show_figures",
        "language",
        "ranking",
        "references",
        "prompt",
        "images",
        "generated_at",
    }
    assert evidence["brief"]["id"] == brief.pk
    assert evidence["brief"]["title"] == "Links de pago"
    assert evidence["brief"]["node"] == "Wompi"
    assert evidence["brief"]["objective"] == "traffic"
    assert evidence["brief"]["audience"] == "Emprendedores jóvenes"
    assert evidence["agency"] == "Agencia Norte"
    assert evidence["ranking"]["rule_version"] == brief.ranking_rule_version
    assert evidence["ranking"]["rule_id"] == brief.ranking_rule_id
    assert evidence["prompt"] == {
        "version": prompt.number,
        "positive": prompt.positive,
        "negative": prompt.negative,
        "source": prompt.source,
        "model_id": prompt.model_id,
        "created_at": prompt.created_at.isoformat(),
    }
    assert [i["seed"] for i in evidence["images"]] == [images[1].seed, images[3].seed]
    batch = evidence["images"][0]["batch"]
    assert batch["seeds"] == [1000, 1001, 1002, 1003]
    assert (batch["guidance_scale"], batch["steps"], batch["model_id"]) == (7.0, 2, "tiny-sdxl")
    assert batch["prompt_version"] == prompt.number
    assert dt.datetime.fromisoformat(evidence["generated_at"]) <= timezone.now()


def test_the_evidence_leaves_figures_out_unless_the_link_shows_them(client, brief, images):
    _hidden_link, hidden = _share(brief, show_figures=False)
    _shown_link, shown = _share(brief, show_figures=True)
    first = brief.references.order_by("order").first()

    hidden_pack = _zip(client.get(reverse("share_pack", args=[hidden]), {"lang": "en"}))
    shown_pack = _zip(client.get(reverse("share_pack", args=[shown]), {"lang": "en"}))

    without = json.loads(hidden_pack.read("evidence.json"))["references"]
    with_figures = json.loads(shown_pack.read("evidence.json"))["references"]
    assert set(without[0]) == {
        "rank",
        "image_id",
        "file",
        "pinned",
        "platforms",
        "metric",
        "reason",
    }
    assert without[0]["reason"] == "Among the best traffic pieces of Wompi, ranked by CTR."
    assert set(with_figures[0]) == {
        "rank",
        "image_id",
        "file",
        "pinned",
        "platforms",
        "metric",
        "reason",
        "reason_es",
        "reason_en",
        "estimate",
        "interval",
        "figures",
    }
    assert with_figures[0]["reason_en"] == first.reason_en
    assert with_figures[0]["figures"] == first.figures
    assert first.reason_en not in hidden_pack.read("brief.html").decode()
    assert first.reason_en in shown_pack.read("brief.html").decode()


def test_a_picked_image_missing_from_storage_is_left_out_of_the_pack(client, brief, images):
    _link, token = _share(brief)
    images[1].file.storage.delete(images[1].file.name)

    archive = _zip(client.get(reverse("share_pack", args=[token])))

    names = archive.namelist()
    assert f"images/01-seed{images[1].seed}.png" not in names
    assert f"images/02-seed{images[3].seed}.png" in names
    evidence = json.loads(archive.read("evidence.json"))
    assert [i["file"] for i in evidence["images"]] == [None, f"images/02-seed{images[3].seed}.png"]


def test_the_pack_can_be_written_to_a_file_without_a_request(brief, images, tmp_path):
    link, _token = _share(brief)
    target = tmp_path / "pack.zip"

    with target.open("wb") as handle, translation.override("es"):
        pack.pack_write(handle, link)

    archive = zipfile.ZipFile(target)
    assert archive.namelist()[:4] == [
        "brief.html",
        "evidence.json",
        f"images/01-seed{images[1].seed}.png",
        f"images/02-seed{images[3].seed}.png",
    ]
    assert json.loads(archive.read("evidence.json"))["language"] == "es"
    link.refresh_from_db()
    assert link.view_count == 0
