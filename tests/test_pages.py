"""The analyst's base pages: login, home with the catalog summary, logout, demo users."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from campaigns.models import Ad, AdAccount, Campaign, DailyMetric, Node, Objective, Platform
from campaigns.selectors import CatalogSummary, NodeObjectiveRow, catalog_summary
from creatives.models import Creative, CreativeImage

OBJECTIVE_ORDER = ["awareness", "traffic", "engagement", "leads", "conversion", "other"]


def _image(n: int) -> CreativeImage:
    return CreativeImage.objects.create(
        sha256=f"{n:064x}",
        file=f"images/{n:064x}.png",
        phash="0" * 16,
        width=1080,
        height=1080,
        format="PNG",
        byte_size=1000 + n,
    )


def _catalog(*, nodes: int = 2) -> None:
    """Build a small catalog: per node a traffic and a leads campaign, plus one unmapped."""
    meta = Platform.objects.get(slug="meta")
    account = AdAccount.objects.create(platform=meta, external_id="act_1", name="Banco Meta")
    n = 0
    for index in range(nodes):
        node = Node.objects.create(slug=f"node-{index}", name=f"Nodo {index}")
        for objective in (Objective.TRAFFIC, Objective.LEADS):
            n += 1
            campaign = Campaign.objects.create(
                account=account, external_id=f"c{n}", name=f"C {n}", objective=objective, node=node
            )
            creative = Creative.objects.create(platform="meta", external_id=f"cr{n}")
            creative.image_slots.create(image=_image(n), position=0)
            ad = Ad.objects.create(campaign=campaign, external_id=f"a{n}", creative=creative)
            DailyMetric.objects.create(ad=ad, date=dt.date(2024, 1, 1) + dt.timedelta(days=n))
    Campaign.objects.create(
        account=account, external_id="unmapped", name="Sin nodo", objective=Objective.AWARENESS
    )


def test_home_redirects_an_anonymous_visitor_to_login(client):
    response = client.get("/")

    assertRedirects(response, "/accounts/login/?next=/", fetch_redirect_response=False)


def test_the_analyst_sees_the_summary_of_the_ad_history(client, analyst):
    _catalog(nodes=2)
    client.force_login(analyst)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["summary"] == CatalogSummary(
        creatives=4,
        images=4,
        campaigns=5,
        ads=4,
        metrics_first_date=dt.date(2024, 1, 2),
        metrics_last_date=dt.date(2024, 1, 5),
        objectives=tuple(Objective.choices),
        by_node=(
            NodeObjectiveRow(node_name="Nodo 0", counts=(0, 1, 0, 1, 0, 0)),
            NodeObjectiveRow(node_name="Nodo 1", counts=(0, 1, 0, 1, 0, 0)),
            NodeObjectiveRow(node_name=None, counts=(1, 0, 0, 0, 0, 0)),
        ),
    )
    assertContains(response, "Hola, andres_analyst")
    assertContains(response, "Daily results from", count=0)
    assertContains(response, "Resultados diarios del 2 ene 2024 al 5 ene 2024")
    assertContains(response, '<td class="num total">5</td>', html=False)
    assertContains(response, "Sin nodo todavía")


def test_the_home_page_leads_an_analyst_to_a_new_brief(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("home"))

    assertContains(response, f'href="{reverse("brief_new")}"')
    assertContains(response, 'data-testid="new-brief"', count=1)
    assertNotContains(response, "Próximamente")


def test_an_analyst_gets_no_admin_link_and_a_lead_does(client, analyst, lead):
    client.force_login(analyst)
    assertNotContains(client.get(reverse("home")), 'href="/admin/"')

    client.force_login(lead)
    assertContains(client.get(reverse("home")), 'href="/admin/"', count=2)


def test_an_empty_catalog_shows_an_empty_state(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("home"))

    assert response.context["summary"].is_empty is True
    assertContains(response, "Todavía no se ha cargado historial de anuncios.")


def test_the_catalog_summary_costs_the_same_queries_whatever_the_catalog_size(
    db, django_assert_num_queries
):
    _catalog(nodes=1)
    with django_assert_num_queries(6):
        small = catalog_summary()

    _catalog_more_nodes()
    with django_assert_num_queries(6):
        large = catalog_summary()

    assert (small.campaigns, large.campaigns) == (3, 9)


def _catalog_more_nodes() -> None:
    account = AdAccount.objects.get(external_id="act_1")
    for index in range(1, 4):
        node = Node.objects.create(slug=f"more-{index}", name=f"Más {index}")
        for objective in (Objective.CONVERSION, Objective.ENGAGEMENT):
            Campaign.objects.create(
                account=account,
                external_id=f"more-{index}-{objective}",
                name="x",
                objective=objective,
                node=node,
            )


def test_the_home_page_query_count_is_bounded(client, analyst, django_assert_num_queries):
    _catalog(nodes=3)
    client.force_login(analyst)

    # Session, the user with their groups (one query), the briefs (count, page, thumbnails),
    # then the summary queries.
    with django_assert_num_queries(9):
        response = client.get(reverse("home"))

    assert response.status_code == 200


def test_the_login_page_is_in_spanish_by_default(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assertContains(response, '<html lang="es">')
    assertContains(response, '<h1 id="login-title">Iniciar sesión</h1>')


def test_the_login_page_is_in_english_after_choosing_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)

    response = client.get(reverse("login"))

    assertContains(response, '<html lang="en">')
    assertContains(response, '<h1 id="login-title">Log in</h1>')
    assertNotContains(response, "Iniciar sesión")


def test_an_analyst_logs_in_with_the_form_and_lands_on_home(client, analyst):
    response = client.post(
        reverse("login"), {"username": "andres_analyst", "password": "s3cret-pass"}
    )

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert client.get("/").context["user"] == analyst


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(client, analyst):
    response = client.post(reverse("login"), {"username": "andres_analyst", "password": "nope"})

    assertContains(response, "El usuario o la contraseña no son correctos.")
    assert "_auth_user_id" not in client.session


def test_logout_by_post_signs_the_user_out(client, analyst):
    client.force_login(analyst)

    response = client.post(reverse("logout"))

    assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
    assert "_auth_user_id" not in client.session


def test_logout_by_get_is_refused_and_keeps_the_session(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(analyst.pk)


@pytest.fixture
def demo_data_dir(settings, tmp_path, monkeypatch):
    for name in (
        "YENNI_DEMO_ANALYST_USER",
        "YENNI_DEMO_ANALYST_PASSWORD",
        "YENNI_DEMO_LEAD_USER",
        "YENNI_DEMO_LEAD_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_demo_users_creates_an_analyst_and_a_staff_lead_in_their_groups(db, demo_data_dir, capsys):
    call_command("yenni_demo_users")

    analyst = User.objects.get(username="analista")
    lead = User.objects.get(username="lider")
    assert list(analyst.groups.values_list("name", flat=True)) == ["Analysts"]
    assert list(lead.groups.values_list("name", flat=True)) == ["Marketing leads"]
    assert (analyst.is_staff, analyst.is_superuser) == (False, False)
    assert (lead.is_staff, lead.is_superuser) == (True, False)
    stored = json.loads((demo_data_dir / "demo_credentials.json").read_text())
    assert analyst.check_password(stored["analyst"]["password"])
    assert lead.check_password(stored["lead"]["password"])
    assert stored["analyst"]["password"] in capsys.readouterr().out


def test_demo_users_keeps_the_credentials_file_private(db, demo_data_dir):
    call_command("yenni_demo_users")

    mode = (demo_data_dir / "demo_credentials.json").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_running_demo_users_again_keeps_the_same_passwords(db, demo_data_dir, capsys):
    call_command("yenni_demo_users")
    first = capsys.readouterr().out

    call_command("yenni_demo_users")
    second = capsys.readouterr().out

    assert first == second
    assert User.objects.filter(username__in=["analista", "lider"]).count() == 2
    stored = json.loads((demo_data_dir / "demo_credentials.json").read_text())
    assert User.objects.get(username="lider").check_password(stored["lead"]["password"])


def test_demo_users_takes_names_and_passwords_from_the_environment(db, demo_data_dir, monkeypatch):
    monkeypatch.setenv("YENNI_DEMO_ANALYST_USER", "ana")
    monkeypatch.setenv("YENNI_DEMO_ANALYST_PASSWORD", "ana-pass-123")
    monkeypatch.setenv("YENNI_DEMO_LEAD_USER", "leo")

    call_command("yenni_demo_users")

    assert User.objects.get(username="ana").check_password("ana-pass-123")
    stored = json.loads((demo_data_dir / "demo_credentials.json").read_text())
    assert sorted(stored) == ["lead"]
    assert stored["lead"]["username"] == "leo"
    assert User.objects.get(username="leo").check_password(stored["lead"]["password"])
