"""Settings for the test suite: the embedded default with fast, isolated pieces.

DATABASE_URL still chooses the database, so the same suite runs on SQLite and PostgreSQL.
"""

import os
import tempfile

# Each test process writes into its own throw-away data folder.
os.environ.setdefault("YENNI_DATA_DIR", tempfile.mkdtemp(prefix="yenni-test-"))
os.environ.setdefault("YENNI_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")

from yenni_site.settings import *  # noqa: F403
from yenni_site.settings import REST_FRAMEWORK, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The manifest storage needs collectstatic first; tests serve static files plainly.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# django-q2 reads `sync` once at import, so it is set here rather than with override_settings.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
# Serve static files from the app folders, as under runserver: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# API rate limits out of the way (the fuzz test sends hundreds of requests); the throttle tests
# set small ones. Login lockouts keep the real settings: no test fails a login five times by chance.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
}
