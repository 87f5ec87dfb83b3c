"""Settings for Yenni Ad, read from the environment.

With nothing set this runs the embedded default: SQLite, files under the data folder, the
django-q2 ORM broker and the database cache, so `runserver` and `qcluster` work on a laptop.
Production is only environment variables; every one of them is listed in `.env.example`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from yenni_site.mail_settings import email_server
from yenni_site.private_files import private_folder, private_sqlite_file

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    # An empty variable counts as unset, as in the helpers below: a copied .env.example works.
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# One folder holds everything the embedded default writes: database, media, secret key, demo files.
DATA_DIR = Path(env("YENNI_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("YENNI_DEBUG", False)


def _secret_key() -> str:
    key = env("YENNI_SECRET_KEY")
    if key:
        return key
    # The run script writes this file for the embedded default, so a laptop needs no variable.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    if DEBUG:
        return "django-insecure-yenni-development-only"
    raise ImproperlyConfigured(
        "YENNI_SECRET_KEY is not set and DEBUG is off. Set YENNI_SECRET_KEY, or run "
        "`bash scripts/run.sh` once, which writes a key to "
        f"{key_file} for the embedded default."
    )


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("YENNI_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("YENNI_CSRF_TRUSTED_ORIGINS")
# Public base address used in share links and emails, e.g. https://yenni.example.co
YENNI_BASE_URL = env("YENNI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # login throttling (see "Login throttling" below)
    "rest_framework",
    "knox",  # API tokens, stored hashed (generation/api/authentication.py)
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: no CDN
    "django_q",
    "creatives",
    "campaigns",
    "ingestion",
    "library",
    "generation",
    "demo",  # the demo history generator: it may import the apps above, none imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Spanish unless the user chose English with the switch; not the browser's language.
    "yenni_site.language.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After WhiteNoise, so static files keep their own long cache headers.
    "yenni_site.headers.SecurityHeadersMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yenni_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yenni_site.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "yenni_site.wsgi.application"

# Database: SQLite in the data folder unless DATABASE_URL names another (PostgreSQL in production).
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("YENNI_DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool(
        "YENNI_DB_PREPARED_STATEMENTS", True
    ):
        # psycopg prepares a statement a connection has run five times: PostgreSQL then skips
        # planning it (a tenth of a brief's ranking on the 10M-row history; the brief page's
        # digests took longer to plan than to run). Preparing needs server-side binding. Off
        # ("off") behind a pooler in transaction mode that cannot keep prepared statements.
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": 5,
        }
else:
    # SQLite cannot create its folder; a fresh checkout has no data folder yet. The folder is
    # 0700 and the database 0600 before SQLite opens it: its -wal and -shm files take its mode.
    private_folder(DATA_DIR)
    private_sqlite_file(DATA_DIR / "yenni.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "yenni.sqlite3",
            "OPTIONS": {
                # WAL lets the web process read while a worker writes; IMMEDIATE transactions
                # and a busy timeout make concurrent writers wait instead of failing at once.
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that reads the user's groups with the user (one query a request, not two).
    "yenni_site.auth_backend.UserWithGroupsBackend",
    # Sessions signed in before that backend name this one: they stay signed in.
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: the users are Colombian, Spanish first, English available.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Spanish numbers as Colombia writes them ("1.500", "1.234,5"); yenni_site/formats/es says why.
# USE_THOUSAND_SEPARATOR stays off: it would group ids in URLs and hidden inputs too. Figures
# are grouped where they are printed (campaigns.figures, `intcomma`).
FORMAT_MODULE_PATH = ["yenni_site.formats"]
TIME_ZONE = env("YENNI_TIME_ZONE", "America/Bogota")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
# The library's vector snapshot, mapped by every web process on this machine (library.indexes):
# derived data, rebuilt from the database whenever it is missing.
LIBRARY_INDEX_DIR = Path(env("YENNI_LIBRARY_INDEX_DIR", str(DATA_DIR / "index"))).resolve()
MEDIA_URL = "/media/"

# File storage: local folder by default; any S3-compatible bucket when YENNI_S3_BUCKET is set.
S3_BUCKET = env("YENNI_S3_BUCKET")
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("YENNI_S3_ENDPOINT_URL") or None,
            "region_name": env("YENNI_S3_REGION") or None,
            "access_key": env("YENNI_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("YENNI_S3_SECRET_ACCESS_KEY") or None,
            "location": env("YENNI_S3_PREFIX"),
            "addressing_style": env("YENNI_S3_ADDRESSING_STYLE") or None,
            # boto3 would sign URLs with SigV2 in us-east-1, which new AWS buckets refuse.
            "signature_version": "s3v4",
            # Ad images are private bank data: no public ACL, signed URLs only.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("YENNI_S3_URL_EXPIRE_SECONDS", 3600),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": MEDIA_ROOT,
            "base_url": MEDIA_URL,
            # Ad images are private bank data: only this user reads them. (Set here, not with
            # FILE_UPLOAD_PERMISSIONS, which collected static files would take too.)
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "yenni_cache",
    }
}
if env("YENNI_REDIS_URL"):
    # One cache every process shares (the library's scope sums and tiers: library.shared),
    # in Redis rather than a database table once Redis is there for the queue.
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("YENNI_REDIS_URL"),
        "KEY_PREFIX": "yenni",
    }

# Background jobs: django-q2 on the ORM broker by default, Redis when YENNI_REDIS_URL is set.
Q_TIMEOUT = env_int("YENNI_Q_TIMEOUT", 1800)
Q_CLUSTER = {
    "name": "yenni",
    "workers": env_int("YENNI_Q_WORKERS", 1),
    "timeout": Q_TIMEOUT,
    # The broker re-delivers a task after `retry` seconds: it must outlast the slowest run.
    "retry": env_int("YENNI_Q_RETRY", Q_TIMEOUT + 300),
    "max_attempts": env_int("YENNI_Q_MAX_ATTEMPTS", 2),
    "ack_failures": True,
    "save_limit": 1000,
    "catch_up": False,
    "label": "Django Q",
}
# GPU jobs (generate, write with an LLM, describe with the interrogator) can go to their own
# cluster: start it with `Q_CLUSTER_NAME=gpu python manage.py qcluster`, one worker per GPU.
# Empty: every job runs on the default cluster (the embedded default).
GPU_CLUSTER = env("YENNI_GPU_CLUSTER")
GPU_TIMEOUT = env_int("YENNI_GPU_TIMEOUT", 900)
if GPU_CLUSTER:
    Q_CLUSTER["ALT_CLUSTERS"] = {
        GPU_CLUSTER: {
            "workers": env_int("YENNI_GPU_WORKERS", 1),
            "timeout": GPU_TIMEOUT,
            "retry": GPU_TIMEOUT + 120,
            "max_attempts": 2,
            # A GPU worker keeps its models loaded: recycle it rarely.
            "recycle": 10_000,
        }
    }
REDIS_URL = env("YENNI_REDIS_URL")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "generation.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Requests per client: "anon" counts requests without a valid token or session (failed
    # tokens included), "user" each signed-in user's. Past the rate: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "generation.api.throttles.AnonRateThrottle",
        "generation.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("YENNI_API_RATE_ANON", "30/minute"),
        "user": env("YENNI_API_RATE_USER", "300/minute"),
    },
}

# API tokens (django-rest-knox): only a SHA-512 digest is stored; `manage.py api_token USER`
# shows a new token once. A token stops working after this many days unless issued otherwise.
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=env_int("YENNI_API_TOKEN_DAYS", 90)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Yenni Ad API",
    "DESCRIPTION": "Briefs, their references, prompts, image generation, picks and share links; "
    "the ad history read-only. Session or token authentication (Authorization: Token …).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# E-mail (ingestion alerts): EMAIL_URL holds the server, e.g. smtp://user:password@host:587/?tls=1
# or smtp+ssl://user:password@host; a YENNI_EMAIL_* variable sets one part and wins over the URL.
# Nothing set: e-mails go to the console log (yenni_site/mail_settings.py says why and how).
_email = email_server(
    url=env("EMAIL_URL"),
    host=env("YENNI_EMAIL_HOST"),
    port=env("YENNI_EMAIL_PORT"),
    user=env("YENNI_EMAIL_USER"),
    password=env("YENNI_EMAIL_PASSWORD"),
    use_tls=env("YENNI_EMAIL_USE_TLS"),
    use_ssl=env("YENNI_EMAIL_USE_SSL"),
    from_address=env("YENNI_EMAIL_FROM"),
    timeout=env("YENNI_EMAIL_TIMEOUT"),
)
EMAIL_BACKEND = _email.backend
EMAIL_HOST, EMAIL_PORT = _email.host, _email.port
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email.user, _email.password
EMAIL_USE_TLS, EMAIL_USE_SSL = _email.use_tls, _email.use_ssl
EMAIL_TIMEOUT = _email.timeout
DEFAULT_FROM_EMAIL = SERVER_EMAIL = _email.from_address

# Product settings.
YENNI_REPORTING_CURRENCY = env("YENNI_REPORTING_CURRENCY", "COP").upper()

# Ingestion: where each platform's API lives, without the version (a proxy or a test server
# can stand in), and the API version spoken; an empty version is the connector's default, a
# current one (ingestion/connectors/versions.py lists the supported versions).
INGEST_API_URLS = {
    "meta": env("YENNI_META_API_URL", "https://graph.facebook.com").rstrip("/"),
    "google_ads": env("YENNI_GOOGLE_ADS_API_URL", "https://googleads.googleapis.com").rstrip("/"),
    "google_oauth": env("YENNI_GOOGLE_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token"),
    "linkedin": env("YENNI_LINKEDIN_API_URL", "https://api.linkedin.com/rest").rstrip("/"),
    "x": env("YENNI_X_API_URL", "https://ads-api.x.com").rstrip("/"),
}
INGEST_API_VERSIONS = {
    "meta": env("YENNI_META_API_VERSION"),
    "google_ads": env("YENNI_GOOGLE_ADS_API_VERSION"),
    "linkedin": env("YENNI_LINKEDIN_API_VERSION"),
    "x": env("YENNI_X_API_VERSION"),
}
INGEST_TIMEOUT_SECONDS = env_int("YENNI_INGEST_TIMEOUT_SECONDS", 60)
INGEST_MAX_RETRIES = env_int("YENNI_INGEST_MAX_RETRIES", 5)
# Ceiling on the seconds one run may spend waiting for throttles and backoff; past it, it fails.
INGEST_MAX_WAIT_SECONDS = env_int("YENNI_INGEST_MAX_WAIT_SECONDS", 1800)
# Multiplies every wait (platform-given and backoff); tests make waits tiny with it.
INGEST_WAIT_SCALE = float(env("YENNI_INGEST_WAIT_SCALE", "1"))
INGEST_PAGE_SIZE = env_int("YENNI_INGEST_PAGE_SIZE", 500)
# Days of metrics fetched and committed together; the bookmark advances after each chunk.
INGEST_CHUNK_DAYS = env_int("YENNI_INGEST_CHUNK_DAYS", 7)
# How far back a first sync reads (Meta keeps 37 months of insights).
INGEST_BACKFILL_DAYS = env_int("YENNI_INGEST_BACKFILL_DAYS", 730)
# Days re-read before the bookmark, per platform, because platforms revise recent days.
INGEST_LOOKBACK_DAYS = {"meta": 28, "google_ads": 14, "x": 14, "linkedin": 0}
# JSON file of tokens, {"meta": {"act_123": "…", "default": "…"}, …}; see ingestion/credentials.py.
INGEST_SECRETS_FILE = env("YENNI_INGEST_SECRETS_FILE")
INGEST_ALERT_EMAILS = env_list("YENNI_INGEST_ALERT_EMAILS")
# A running sync refreshes its heartbeat at least every chunk; one silent for longer than this
# is taken for dead, and the next run of its account takes over (its worker process gone from
# this machine is known dead at once).
INGEST_HEARTBEAT_TIMEOUT_SECONDS = env_int("YENNI_INGEST_HEARTBEAT_TIMEOUT_SECONDS", 300)
# The platform defaults of what counts (campaigns/conversions.py); an account may choose its
# own in the admin. Meta action types counted as conversions and leads, by concept: one type is
# read per concept so the omni_/offsite_conversion.fb_pixel_ duplicates are never summed.
INGEST_META_CONVERSION_ACTIONS = env_list(
    "YENNI_META_CONVERSION_ACTIONS", "purchase,complete_registration"
)
INGEST_META_LEAD_ACTIONS = env_list("YENNI_META_LEAD_ACTIONS", "lead")
# X conversion metrics summed into a day's conversions, by X's names (WEB_CONVERSION and
# MOBILE_CONVERSION types; campaigns/conversions.py lists them). Every type is stored anyway.
INGEST_X_CONVERSION_METRICS = env_list(
    "YENNI_X_CONVERSION_METRICS", "conversion_purchases,conversion_sign_ups,conversion_custom"
)
INGEST_IMAGE_HOSTS = env_list(
    "YENNI_INGEST_IMAGE_HOSTS",
    "*.fbcdn.net,scontent*.xx.fbcdn.net,tpc.googlesyndication.com,*.googleusercontent.com,"
    "*.ggpht.com,media.licdn.com,pbs.twimg.com,ton.twimg.com",
)
INGEST_IMAGE_MAX_BYTES = env_int("YENNI_INGEST_IMAGE_MAX_BYTES", 20 * 1024 * 1024)
INGEST_IMAGE_MAX_PIXELS = env_int("YENNI_INGEST_IMAGE_MAX_PIXELS", 40_000_000)
INGEST_IMAGE_TIMEOUT_SECONDS = env_int("YENNI_INGEST_IMAGE_TIMEOUT_SECONDS", 30)


def _networks(name: str) -> list[str]:
    """CIDR networks, comma-separated: a typo stops the start, not every image download."""
    import ipaddress

    try:
        return [str(ipaddress.ip_network(item, strict=False)) for item in env_list(name)]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


# Non-public networks images may still come from (an internal image proxy); every other
# loopback, private, link-local, multicast or reserved address is refused before connecting.
INGEST_IMAGE_ALLOWED_NETWORKS = _networks("YENNI_INGEST_IMAGE_ALLOWED_NETWORKS")

# Model backends, one per role (see docs/models.md). Weights come from a local folder or the
# Hugging Face cache; nothing is downloaded while serving. The embedded default needs no weights:
# the heuristic describer, the prompt composer and no image model.
YENNI_MODELS = {
    "describe": {
        "backend": env("YENNI_DESCRIBE_BACKEND", "heuristic"),
        "model": env("YENNI_DESCRIBE_MODEL", "Salesforce/blip-image-captioning-large"),
        "revision": env("YENNI_DESCRIBE_REVISION"),
        "device": env("YENNI_DESCRIBE_DEVICE", "auto"),
        "dtype": env("YENNI_DESCRIBE_DTYPE", "auto"),
        "options": {
            "clip_model": env("YENNI_DESCRIBE_CLIP_MODEL", "openai/clip-vit-large-patch14"),
            "depth": env("YENNI_DESCRIBE_DEPTH", "medium"),
            "batch_size": env_int("YENNI_DESCRIBE_BATCH_SIZE", 16),
        },
    },
    "prompt": {
        "backend": env("YENNI_PROMPT_BACKEND", "composer"),
        "model": env("YENNI_PROMPT_MODEL", "TheBloke/Llama-2-13B-chat-GPTQ"),
        "revision": env("YENNI_PROMPT_REVISION"),
        "device": env("YENNI_PROMPT_DEVICE", "auto"),
        "dtype": env("YENNI_PROMPT_DTYPE", "auto"),
        "options": {"max_new_tokens": env_int("YENNI_PROMPT_MAX_NEW_TOKENS", 200)},
    },
    "image": {
        "backend": env("YENNI_IMAGE_BACKEND", "none"),
        "model": env("YENNI_IMAGE_MODEL", "stabilityai/stable-diffusion-xl-base-1.0"),
        "revision": env("YENNI_IMAGE_REVISION"),
        "device": env("YENNI_IMAGE_DEVICE", "auto"),
        "dtype": env("YENNI_IMAGE_DTYPE", "auto"),
        "options": {
            "refiner": env("YENNI_IMAGE_REFINER"),
            "vae": env("YENNI_IMAGE_VAE"),
            "compile": env_bool("YENNI_IMAGE_COMPILE", False),
            "scheduler": env("YENNI_IMAGE_SCHEDULER"),
        },
    },
}
# Analysts also see (not change) every analyst's briefs when on; leads always see all.
YENNI_ANALYSTS_SEE_TEAM = env_bool("YENNI_ANALYSTS_SEE_TEAM", False)
# Days a new share link lasts unless the analyst picks otherwise (1–90).
YENNI_SHARE_DAYS = env_int("YENNI_SHARE_DAYS", 14)

# Defaults for a new image batch.
YENNI_IMAGE_STEPS = env_int("YENNI_IMAGE_STEPS", 30)
YENNI_IMAGE_SIZE = env_int("YENNI_IMAGE_SIZE", 1024)

# Security: YENNI_HTTPS=1 behind TLS turns on secure cookies, HSTS and the HTTPS redirect.
HTTPS = env_bool("YENNI_HTTPS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("YENNI_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("YENNI_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("YENNI_HSTS_PRELOAD", True)
BEHIND_PROXY = env_bool("YENNI_BEHIND_PROXY", False)
if BEHIND_PROXY:
    # Only behind a proxy that sets this header itself; otherwise clients could spoof HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# How many reverse proxies of ours append to X-Forwarded-For in front of the app: the client's
# address, which login lockouts and API throttles count, is the one the outermost of them saw
# (yenni_site/client_ip.py). 0 reads the connection's address and ignores the header, which any
# client can forge; behind a proxy that does not append to it, keep 0 (every client then shares
# the proxy's address).
YENNI_PROXY_COUNT = env_int("YENNI_PROXY_COUNT", 1 if BEHIND_PROXY else 0)
REST_FRAMEWORK["NUM_PROXIES"] = YENNI_PROXY_COUNT

# Login throttling (django-axes), for the site's login and the admin's: after this many failed
# logins for one username from one client address, that pair is locked for the cool-off, right
# password or not (yenni_site/lockout.py). YENNI_LOGIN_LOCKOUT_BY "username" locks a username
# from every address; "ip_address" locks an address whatever username it tries; "a+b" is a pair.
AXES_FAILURE_LIMIT = env_int("YENNI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("YENNI_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [
    group.split("+") if "+" in group else group
    for group in env_list("YENNI_LOGIN_LOCKOUT_BY", "username+ip_address")
]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "yenni_site.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "yenni_site.lockout.locked_out"
AXES_HANDLER = "yenni_site.lockout.AxesHandler"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("YENNI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
