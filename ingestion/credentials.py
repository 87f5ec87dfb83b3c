"""Platform tokens: read from the environment or a secrets file, never from the database.

Looked up in this order, the first found wins:
1. `YENNI_TOKEN_<PLATFORM>_<ACCOUNT ID>`, e.g. YENNI_TOKEN_META_ACT_123 (non-alphanumerics → _);
2. `YENNI_<PLATFORM>_ACCESS_TOKEN`, e.g. YENNI_META_ACCESS_TOKEN, for every account of a platform;
3. the JSON file named by YENNI_INGEST_SECRETS_FILE: {"meta": {"act_123": "…", "default": "…"}}.

Google Ads may also need a developer token (optional since its sunset on 2026-09-09) and the
manager account its accounts are reached through; both go in the same file:
{"google_ads": {"default": "…", "developer_token": "…", "login_customer_id": "123-456-7890"}}.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ingestion.connectors.base import AuthError


def token_variable_names(*, platform: str, account_id: str) -> tuple[str, str]:
    key = re.sub(r"[^A-Z0-9]", "_", account_id.upper())
    return f"YENNI_TOKEN_{platform.upper()}_{key}", f"YENNI_{platform.upper()}_ACCESS_TOKEN"


PLATFORM_OPTIONS = {"google_ads": ("developer_token", "login_customer_id")}


def _read_secrets(secrets_file: str) -> dict:
    try:
        return json.loads(Path(secrets_file).read_text())
    except (OSError, ValueError) as exc:
        raise AuthError(
            f"The secrets file {secrets_file} (YENNI_INGEST_SECRETS_FILE) could not be read "
            f"({type(exc).__name__})."
        ) from exc


def platform_secret_options(*, platform: str, secrets_file: str) -> dict[str, str]:
    """Return the platform-wide extras (Google's developer token, manager id) from the file."""
    names = PLATFORM_OPTIONS.get(platform, ())
    if not names or not secrets_file:
        return {}
    section = _read_secrets(secrets_file).get(platform) or {}
    return {name: str(section[name]) for name in names if section.get(name)}


def token_for_account(
    *, platform: str, account_id: str, account_label: str, secrets_file: str = ""
) -> str:
    """Return the account's token, or raise AuthError saying where to put one."""
    per_account, per_platform = token_variable_names(platform=platform, account_id=account_id)
    for name in (per_account, per_platform):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    if secrets_file:
        tokens = _read_secrets(secrets_file).get(platform) or {}
        value = tokens.get(account_id) or tokens.get("default") or ""
        if isinstance(value, dict):
            # Google refresh-token credentials: {"client_id", "client_secret", "refresh_token"}.
            return json.dumps(value)
        if value:
            return str(value).strip()
    raise AuthError(
        f"No {platform} token for account {account_label}. Set {per_account} (or "
        f"{per_platform}) in the environment, or add it to the secrets file named by "
        "YENNI_INGEST_SECRETS_FILE."
    )
