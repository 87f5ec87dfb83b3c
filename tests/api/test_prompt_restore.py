"""Through the API: a rewrite asks before it replaces a hand edit (409 unless confirm), and any
older prompt version can be restored as a new one (issue 14 item 5)."""

from __future__ import annotations

from generation.briefs import services
from generation.models import PromptVersion
from tests.api.helpers import _brief_url

HAND_EDIT = "a shop owner in Medellín scanning a QR code, warm daylight"


def _edited(brief, analyst):
    services.prompt_version_edit(brief, positive=HAND_EDIT, negative="blurry", author=analyst)


def test_a_rewrite_over_a_hand_edit_is_a_409_that_says_why_and_writes_nothing(
    db, api_for, brief, analyst
):
    _edited(brief, analyst)

    response = api_for(analyst).post(_brief_url(brief, "prompt/rewrite/"), {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The current prompt, version 2, was edited by hand. Rewriting it from the "
        "references makes a new version the current prompt; version 2 stays in the version "
        "list, where you can restore it. Send confirm=true to rewrite.",
        "current_version": 2,
    }
    assert brief.prompt_versions.count() == 2


def test_a_confirmed_rewrite_over_a_hand_edit_writes_version_3(db, api_for, brief, analyst):
    _edited(brief, analyst)

    response = api_for(analyst).post(
        _brief_url(brief, "prompt/rewrite/"), {"confirm": True}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["source"], body["restored_from"]) == (3, "composer", None)
    assert brief.prompt_versions.get(number=2).positive.startswith(HAND_EDIT)


def test_a_rewrite_over_the_composers_prompt_needs_no_confirmation(db, api_for, brief, analyst):
    response = api_for(analyst).post(_brief_url(brief, "prompt/rewrite/"), {}, format="json")

    assert response.status_code == 201
    assert response.json()["number"] == 2


def test_restoring_version_1_makes_version_3_with_its_texts(db, api_for, brief, analyst):
    first = brief.latest_prompt
    _edited(brief, analyst)

    response = api_for(analyst).post(
        _brief_url(brief, "prompt/versions/1/restore/"), {}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["source"], body["author"], body["restored_from"]) == (
        3,
        "analyst",
        "andres_analyst",
        1,
    )
    assert (body["positive"], body["negative"]) == (first.positive, first.negative)
    assert body["rationale"] == "Restored from version 1 by andres_analyst."
    listed = api_for(analyst).get(_brief_url(brief, "prompt/")).json()
    assert [(v["number"], v["restored_from"]) for v in listed] == [(3, 1), (2, None), (1, None)]


def test_restoring_a_version_over_the_token_window_is_a_400_and_adds_nothing(
    db, api_for, brief, analyst
):
    PromptVersion.objects.create(
        brief=brief, number=2, positive=" ".join(["market"] * 120), source="analyst"
    )
    _edited(brief, analyst)

    response = api_for(analyst).post(
        _brief_url(brief, "prompt/versions/2/restore/"), {}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Too long for the image model")
    assert brief.prompt_versions.count() == 3


def test_restoring_the_current_version_is_a_409(db, api_for, brief, analyst):
    response = api_for(analyst).post(
        _brief_url(brief, "prompt/versions/1/restore/"), {}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "Version 1 is already the current prompt."}
    assert brief.prompt_versions.count() == 1


def test_restoring_a_missing_version_is_a_404(db, api_for, brief, analyst):
    response = api_for(analyst).post(
        _brief_url(brief, "prompt/versions/7/restore/"), {}, format="json"
    )

    assert response.status_code == 404
    assert brief.prompt_versions.count() == 1


def test_a_lead_cannot_restore_or_rewrite_an_analysts_brief(db, api_for, brief, analyst, lead):
    _edited(brief, analyst)
    api = api_for(lead)

    restore = api.post(_brief_url(brief, "prompt/versions/1/restore/"), {}, format="json")
    rewrite = api.post(_brief_url(brief, "prompt/rewrite/"), {"confirm": True}, format="json")

    assert (restore.status_code, rewrite.status_code) == (403, 403)
    assert restore.json() == {"detail": "Only the analyst who opened this brief can change it."}
    assert brief.prompt_versions.count() == 2


def test_another_analyst_gets_a_404_for_a_brief_they_cannot_see(db, api_for, brief, other_analyst):
    response = api_for(other_analyst).post(
        _brief_url(brief, "prompt/versions/1/restore/"), {}, format="json"
    )

    assert response.status_code == 404
    assert brief.prompt_versions.count() == 1


def test_ranking_again_keeps_a_hand_edit_as_the_latest_prompt(db, api_for, brief, analyst):
    _edited(brief, analyst)

    response = api_for(analyst).post(_brief_url(brief, "rank/"), {}, format="json")

    assert response.status_code == 200
    latest = response.json()["latest_prompt"]
    assert (latest["number"], latest["source"]) == (2, "analyst")
    assert brief.prompt_versions.count() == 2


def test_a_confirmed_rewrite_with_a_language_model_is_a_202_naming_its_job(
    db, api_for, brief, analyst, settings, tmp_path
):
    _edited(brief, analyst)
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "prompt": {"backend": "llm", "model": str(tmp_path / "missing"), "options": {}},
    }

    response = api_for(analyst).post(
        _brief_url(brief, "prompt/rewrite/"), {"confirm": True}, format="json"
    )

    assert response.status_code == 202
    job = brief.jobs.get(kind="write")
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert (response.json()["id"], response.json()["kind"]) == (job.pk, "write")
    assert brief.prompt_versions.count() == 2  # written when the job runs
