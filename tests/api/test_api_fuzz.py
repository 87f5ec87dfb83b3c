"""Schemathesis fuzzes every operation of the generated OpenAPI schema: no input is a 5xx.

The API runs in-process (Django's WSGI application) on the test database, signed in as an
analyst with a token, on a small catalog holding one ranked brief with a generated image and a
share link. Each generated case is sent twice: once as generated (ids are random, so mostly
404s) and once aimed at the real objects, so bodies and query strings reach the validation and
the services behind it. Examples are derandomized so CI sees the same cases every run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from generation.briefs import services
from generation.models import Brief, GeneratedImage
from generation.sharing.links import share_link_create

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 15
# No 5xx, and every documented answer matches the schema (so clients generated from it work).
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def no_connection_closing() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's test client does.

    A WSGI request ends by closing "old" connections; inside the test's transaction that would
    close (on PostgreSQL) the connection holding it.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(brief: Brief) -> dict[str, int]:
    """The objects a case can be aimed at: the brief, one of its references, a picked image."""
    batch = services.batch_queue(brief, seed=3, image_count=1)
    image = GeneratedImage.objects.create(
        batch=batch, index=0, seed=3, file="generated/fuzz.png", width=8, height=8
    )
    link, _token = share_link_create(brief=brief, agency="DDB", days=3)
    creative = brief.references.first().image.creatives.first()
    return {
        "brief": brief.pk,
        "reference": brief.references.first().image_id,
        "job": batch.job_id,
        "image": image.pk,
        "link": link.pk,
        "creative": creative.pk,
    }


@pytest.fixture
def token_header(analyst) -> dict[str, str]:
    _row, token = AuthToken.objects.create(user=analyst)
    return {"Authorization": f"Token {token}", "Accept-Language": "en"}


@pytest.fixture
def api_schema(db, no_connection_closing, token_header):
    """The schema as the API serves it to a signed-in analyst."""
    config = schemathesis.Config.from_dict({"generation": {"deterministic": True}})
    return schemathesis.openapi.from_wsgi(
        "/api/schema/", WSGIHandler(), config=config, headers=token_header
    )


def _aimed(path: str, real: dict[str, int]) -> dict[str, int]:
    """Path parameters that name the real objects of the operation at `path`."""
    resource = path.split("/")[3]  # /api/v1/<resource>/{id}/…
    ids = {
        "briefs": real["brief"],
        "jobs": real["job"],
        "images": real["image"],
        "share-links": real["link"],
        "creatives": real["creative"],
        "creative-images": real["reference"],
    }
    aimed = {"id": ids[resource]} if "{id}" in path else {}
    if "{image_id}" in path:
        aimed["image_id"] = real["reference"]
    if "{number}" in path:
        aimed["number"] = 1  # the brief's first prompt version
    return aimed


def _aim_body(body, slugs: dict[str, str]):
    """The body with its node and style preset slugs (random text as generated) made real."""
    if not isinstance(body, dict):
        return body
    return {
        **body,
        **{key: slug for key, slug in slugs.items() if isinstance(body.get(key), str)},
    }


def _fuzz(strategy, token_header: dict[str, str], slugs: dict[str, str] | None) -> None:
    """Send MAX_EXAMPLES cases drawn from the strategy; fail on the first failed check."""

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,  # no .hypothesis folder in the repository
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        if slugs is not None:
            case.body = _aim_body(case.body, slugs)
        response = case.call(headers=token_header)
        case.validate_response(response, checks=CHECKS, headers=token_header)

    run()


def test_no_input_makes_any_operation_answer_a_server_error(
    api_schema, real_ids, token_header, preset
):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    slugs = {"node": "wompi", "style_preset": preset.slug}
    failures = []

    for operation in operations:
        aimed = _aimed(operation.path, real_ids)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            variants = [(None, None)]
            if aimed or operation.method == "post":
                variants.append((aimed or None, slugs))
            for path_parameters, body_slugs in variants:
                strategy = operation.as_strategy(mode, path_parameters=path_parameters)
                try:
                    _fuzz(strategy, token_header, body_slugs)
                except Unsatisfiable:
                    # Negative cases with the path fixed: an operation whose only input is its
                    # path has nothing left to make invalid.
                    continue
                # Report every operation's failure, not only the first (schemathesis raises a
                # group of failures, which is not an Exception).
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{operation.label}: {exc}")

    assert len(operations) == 23
    assert failures == [], "\n\n".join(failures)
