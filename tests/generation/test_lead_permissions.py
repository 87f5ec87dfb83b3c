"""A marketing lead (staff, in the group, not a superuser) edits the brand's rules in the admin.

Issue 14 item 6: the group had no `generation` permissions, so only a superuser could open the
brand guidelines and style presets the README and docs/models.md say leads maintain.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from generation.models import BrandGuideline, Brief, StylePreset
from tests.factories import make_node


@pytest.fixture
def lead_client(client, lead):
    assert not lead.is_superuser
    client.force_login(lead)
    return client


def _guideline_form(guideline: BrandGuideline, **changes: str) -> dict[str, str]:
    form = {
        "node": str(guideline.node_id or ""),
        "always_include": guideline.always_include,
        "negative_terms": guideline.negative_terms,
        "forbidden_terms": guideline.forbidden_terms,
        "notes": guideline.notes,
    }
    form.update(changes)
    return form


def test_the_marketing_leads_group_holds_the_generation_permissions_leads_need(db):
    codenames = set(
        Group.objects.get(name="Marketing leads")
        .permissions.filter(content_type__app_label="generation")
        .values_list("codename", flat=True)
    )

    assert codenames == {
        "view_brandguideline",
        "add_brandguideline",
        "change_brandguideline",
        "delete_brandguideline",
        "view_stylepreset",
        "add_stylepreset",
        "change_stylepreset",
        "view_brief",
        "view_imagebatch",
        "view_modeljob",
    }


def test_a_lead_opens_the_global_guideline_and_saves_a_new_forbidden_word(lead_client):
    guideline = BrandGuideline.objects.get(node=None)
    url = reverse("admin:generation_brandguideline_change", args=[guideline.pk])

    assert lead_client.get(url).status_code == 200
    response = lead_client.post(
        url, _guideline_form(guideline, forbidden_terms=guideline.forbidden_terms + "\ncasino")
    )

    assert response.status_code == 302
    guideline.refresh_from_db()
    assert guideline.forbidden_terms_list[-1] == "casino"


def test_a_lead_adds_a_nodes_guideline_and_may_delete_it(lead_client):
    node = make_node(name="Wompi")
    add_url = reverse("admin:generation_brandguideline_add")

    assert lead_client.get(add_url).status_code == 200
    response = lead_client.post(
        add_url,
        {
            "node": str(node.pk),
            "always_include": "",
            "negative_terms": "cartoon",
            "forbidden_terms": "",
            "notes": "",
        },
    )
    assert response.status_code == 302
    guideline = BrandGuideline.objects.get(node=node)
    assert guideline.negative_terms_list == ["cartoon"]

    delete_url = reverse("admin:generation_brandguideline_delete", args=[guideline.pk])
    assert lead_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not BrandGuideline.objects.filter(node=node).exists()


def test_a_lead_may_not_delete_the_global_guideline_every_prompt_relies_on(lead_client):
    guideline = BrandGuideline.objects.get(node=None)
    url = reverse("admin:generation_brandguideline_delete", args=[guideline.pk])

    assert lead_client.post(url, {"post": "yes"}).status_code == 403
    assert BrandGuideline.objects.filter(node=None).exists()


def test_a_lead_edits_a_style_preset_and_adds_one(lead_client):
    preset = StylePreset.objects.get(slug="natural-photo")
    url = reverse("admin:generation_stylepreset_change", args=[preset.pk])
    assert lead_client.get(url).status_code == 200

    response = lead_client.post(
        url,
        {
            "slug": preset.slug,
            "name_es": preset.name_es,
            "name_en": preset.name_en,
            "positive": "candid lifestyle photograph, 50mm",
            "negative": preset.negative,
            "active": "on",
            "position": str(preset.position),
        },
    )
    assert response.status_code == 302
    preset.refresh_from_db()
    assert preset.positive == "candid lifestyle photograph, 50mm"

    response = lead_client.post(
        reverse("admin:generation_stylepreset_add"),
        {
            "slug": "documentary",
            "name_es": "Documental",
            "name_en": "Documentary",
            "positive": "documentary photograph",
            "negative": "",
            "active": "on",
            "position": "9",
        },
    )
    assert response.status_code == 302
    assert StylePreset.objects.filter(slug="documentary", name_es="Documental").exists()


def test_a_lead_switches_a_preset_off_rather_than_deleting_it(lead_client):
    # Deleting a preset would blank the look recorded on every batch made with it.
    preset = StylePreset.objects.get(slug="soft-3d")
    url = reverse("admin:generation_stylepreset_delete", args=[preset.pk])

    assert lead_client.post(url, {"post": "yes"}).status_code == 403
    assert StylePreset.objects.filter(pk=preset.pk).exists()


def test_a_lead_watches_briefs_and_model_jobs_but_changes_neither(lead_client):
    assert lead_client.get(reverse("admin:generation_brief_changelist")).status_code == 200
    assert lead_client.get(reverse("admin:generation_modeljob_changelist")).status_code == 200
    assert lead_client.get(reverse("admin:generation_brief_add")).status_code == 403
    assert Brief.objects.count() == 0


def test_an_analyst_still_has_no_admin_page_for_guidelines(client, analyst):
    client.force_login(analyst)
    url = reverse("admin:generation_brandguideline_changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_lead_cannot_delete_the_global_guideline_through_the_list_action_either(lead_client):
    guideline = BrandGuideline.objects.get(node=None)

    response = lead_client.post(
        reverse("admin:generation_brandguideline_changelist"),
        {"action": "delete_selected", "_selected_action": [str(guideline.pk)], "post": "yes"},
    )

    assert response.status_code == 403
    assert BrandGuideline.objects.filter(node=None).exists()
