"""The description vectors are shared by every web process through a file snapshot (issue 17).

At 100,000 images a worker's first semantic search read 100,000 vectors from the database
(150 MB) and loaded the query encoder: 0.9–2.6 s. The first process to need the vectors writes
them once as a NumPy file in the data folder and records its name in the shared cache; every
other process maps that file instead of reading the rows. A gunicorn worker loads the encoder
and the indexes before it takes its first request (yenni_site/gunicorn_conf.py).
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creatives.models import ImageEmbedding
from library import indexes, query_encoder
from library.embeddings import DIMS, MODEL_ID, EmbeddingUnavailable
from library.selectors import library_caches_clear
from tests.factories import make_image


@pytest.fixture(autouse=True)
def fresh_caches(settings, tmp_path):
    settings.LIBRARY_INDEX_DIR = tmp_path / "index"
    library_caches_clear()
    yield
    library_caches_clear()


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(DIMS).astype("<f4")
    return vector / np.linalg.norm(vector)


def _embed(image, seed: int) -> np.ndarray:
    vector = _unit(seed)
    ImageEmbedding.objects.create(
        image=image, model_id=MODEL_ID, dims=DIMS, vector=vector.tobytes(), text_hash=f"{seed}"
    )
    return vector


@pytest.fixture
def embedded(db, media_storage) -> dict[int, np.ndarray]:
    images = [make_image() for _ in range(5)]
    return {image.pk: _embed(image, seed) for seed, image in enumerate(images)}


def _snapshots(settings) -> list[str]:
    folder = settings.LIBRARY_INDEX_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_second_process_maps_the_snapshot_instead_of_reading_the_vectors(embedded, settings):
    first = indexes.VectorIndex().refresh()
    assert len(_snapshots(settings)) == 2  # the ids and the matrix

    # A new VectorIndex is what a fresh worker holds: nothing in memory, the shared cache as
    # the first process left it.
    with CaptureQueriesContext(connection) as queries:
        second = indexes.VectorIndex().refresh()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) == 1  # the count and highest id only
    assert '"vector"' not in sql
    assert isinstance(second.matrix, np.memmap)
    assert second.ids.tolist() == sorted(embedded)
    np.testing.assert_array_equal(second.matrix, first.matrix)
    best = second.top(embedded[sorted(embedded)[3]], k=1)[0]
    assert best.image_id == sorted(embedded)[3]
    assert best.score == pytest.approx(1.0, abs=1e-6)


def test_a_new_vector_is_in_the_next_snapshot_and_every_process_finds_it(
    embedded, settings, media_storage
):
    indexes.VectorIndex().refresh()
    image = make_image()
    vector = _embed(image, 99)

    fresh = indexes.VectorIndex().refresh()
    assert fresh.ids.tolist() == sorted([*embedded, image.pk])
    assert fresh.top(vector, k=1)[0].image_id == image.pk
    assert len(_snapshots(settings)) == 4  # the old pair stays for processes still mapping it


def test_a_snapshot_file_that_is_gone_or_damaged_is_rebuilt_from_the_database(embedded, settings):
    indexes.VectorIndex().refresh()
    matrix_file = next(settings.LIBRARY_INDEX_DIR.glob("*.vectors.npy"))
    matrix_file.write_bytes(b"not numpy")

    damaged = indexes.VectorIndex().refresh()
    assert damaged.ids.tolist() == sorted(embedded)
    np.testing.assert_allclose(damaged.matrix[0], embedded[sorted(embedded)[0]], atol=1e-6)

    for path in settings.LIBRARY_INDEX_DIR.iterdir():
        path.unlink()
    gone = indexes.VectorIndex().refresh()
    assert gone.ids.tolist() == sorted(embedded)
    assert len(_snapshots(settings)) == 2  # written again


def test_an_index_folder_that_cannot_be_written_costs_the_snapshot_not_the_search(
    embedded, settings, tmp_path, caplog
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.LIBRARY_INDEX_DIR = blocker / "index"

    with caplog.at_level(logging.WARNING, logger="library.indexes"):
        index = indexes.VectorIndex().refresh()

    assert index.ids.tolist() == sorted(embedded)
    assert index.top(embedded[sorted(embedded)[1]], k=1)[0].image_id == sorted(embedded)[1]
    assert "could not write the vector snapshot" in caplog.text


def test_snapshots_older_than_ten_minutes_are_removed_when_a_new_one_is_written(
    embedded, settings, media_storage
):
    indexes.VectorIndex().refresh()
    old = _snapshots(settings)
    an_hour_ago = time.time() - 3600
    for name in old:
        os.utime(settings.LIBRARY_INDEX_DIR / name, (an_hour_ago, an_hour_ago))
    _embed(make_image(), 7)

    indexes.VectorIndex().refresh()

    remaining = _snapshots(settings)
    assert len(remaining) == 2
    assert not set(old) & set(remaining)


def test_a_web_worker_loads_the_encoder_and_the_indexes_before_its_first_request(
    embedded, monkeypatch
):
    from yenni_site import gunicorn_conf

    monkeypatch.setattr(query_encoder, "_query_encoder", None)
    monkeypatch.setattr(indexes, "_vectors", indexes.VectorIndex())
    monkeypatch.setattr(indexes, "_hashes", indexes.HashIndex())

    gunicorn_conf.post_worker_init(None)

    assert query_encoder._query_encoder is not None
    assert indexes._vectors.ids.tolist() == sorted(embedded)
    assert indexes._hashes.stamp is not None


def test_a_worker_whose_warm_up_fails_still_starts_and_logs_why(embedded, monkeypatch, caplog):
    from yenni_site import gunicorn_conf

    def missing():
        raise EmbeddingUnavailable("The embedding model files are missing from /nowhere.")

    monkeypatch.setattr(query_encoder, "_query_encoder", None)
    monkeypatch.setattr(query_encoder, "model_path", missing)
    monkeypatch.setattr(indexes, "_vectors", indexes.VectorIndex())

    with caplog.at_level(logging.WARNING, logger="library.warm"):
        gunicorn_conf.post_worker_init(None)

    assert "The embedding model files are missing from /nowhere." in caplog.text
    assert query_encoder._query_encoder is None
    # The rest of the warm-up still ran.
    assert indexes._vectors.ids.tolist() == sorted(embedded)


def test_each_web_machine_on_one_shared_cache_writes_and_maps_its_own_snapshot(
    embedded, settings, monkeypatch
):
    monkeypatch.setattr(indexes.socket, "gethostname", lambda: "web-a")
    indexes.VectorIndex().refresh()

    monkeypatch.setattr(indexes.socket, "gethostname", lambda: "web-b")
    with CaptureQueriesContext(connection) as queries:
        other = indexes.VectorIndex().refresh()
    assert '"vector"' in " ".join(q["sql"] for q in queries.captured_queries)
    assert len(_snapshots(settings)) == 4

    monkeypatch.setattr(indexes.socket, "gethostname", lambda: "web-a")
    with CaptureQueriesContext(connection) as queries:
        again = indexes.VectorIndex().refresh()
    assert len(queries.captured_queries) == 1
    assert isinstance(again.matrix, np.memmap)
    np.testing.assert_array_equal(again.matrix, other.matrix)
