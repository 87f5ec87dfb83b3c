"""gunicorn settings for `scripts/run.sh` (`--config python:yenni_site.gunicorn_conf`).

Only hooks live here; the bind address, workers and timeout stay on run.sh's command line.
"""

from __future__ import annotations


def post_worker_init(worker) -> None:
    """Before a worker takes its first request, load what its first semantic search would wait
    for (the query encoder, the vector snapshot: 0.5–2.6 s at 100,000 images, issue 17)."""
    from library.warm import worker_warm

    worker_warm()
