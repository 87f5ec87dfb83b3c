"""A signed-in request reads the user and their groups in one query (issue 17 item 1).

Every team page asks whether the reader is an analyst or a lead (yenni_site.roles), which was a
query of its own after the session's user; under 50 clients that round trip is part of why the
brief page sat near 3× the login page. The authentication backend now brings the group names
with the user, read afresh on every request, so a change of group still counts at once.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yenni_site.roles import is_analyst


def _queries_of_home(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_user_and_their_groups_are_one_query(client, analyst):
    client.force_login(analyst)

    sql = _queries_of_home(client)

    touching_groups = [text for text in sql if '"auth_user_groups"' in text]
    assert len(touching_groups) == 1
    assert '"auth_user"."username"' in touching_groups[0]


def test_a_user_taken_out_of_the_group_is_refused_on_the_next_request(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("home")).status_code == 200

    analyst.groups.remove(Group.objects.get(name="Analysts"))

    assert client.get(reverse("brief_new")).status_code == 403


def test_a_user_in_no_group_reads_as_no_member(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("brief_new"))

    assert response.status_code == 403
    assert is_analyst(response.wsgi_request.user) is False


def test_an_inactive_user_is_signed_out(client, analyst):
    client.force_login(analyst)
    analyst.is_active = False
    analyst.save()

    response = client.get(reverse("brief_new"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_session_signed_in_before_the_change_still_reads_its_user(client, analyst):
    client.force_login(analyst, backend="django.contrib.auth.backends.ModelBackend")
    assert client.session[BACKEND_SESSION_KEY] == "django.contrib.auth.backends.ModelBackend"
    assert "django.contrib.auth.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS

    assert client.get(reverse("brief_new")).status_code == 200
