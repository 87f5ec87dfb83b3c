"""Create or update the demo analyst and the demo marketing lead, and print how to sign in."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yenni_site.roles import ANALYSTS, LEADS

CREDENTIALS_FILE = "demo_credentials.json"


@dataclass(frozen=True)
class DemoRole:
    key: str
    group: str
    is_staff: bool
    user_env: str
    password_env: str
    default_username: str
    label: str


ROLES = (
    DemoRole(
        key="analyst",
        group=ANALYSTS,
        is_staff=False,
        user_env="YENNI_DEMO_ANALYST_USER",
        password_env="YENNI_DEMO_ANALYST_PASSWORD",
        default_username="analista",
        label="Analyst (web pages)",
    ),
    DemoRole(
        key="lead",
        group=LEADS,
        is_staff=True,
        user_env="YENNI_DEMO_LEAD_USER",
        password_env="YENNI_DEMO_LEAD_PASSWORD",
        default_username="lider",
        label="Marketing lead (web pages and admin)",
    ),
)


def _read_stored(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(
            f"Cannot read {path}: {exc}. Delete it to generate new passwords."
        ) from exc


def _seal(password_hash: str, password: str) -> str:
    """Ties a kept hash to the password it was made from: an edited password breaks the seal.

    The file holds the generated password in clear anyway; the seal only tells whether `hash`
    (the user's stored hash when this command last set it) still belongs to that password.
    """
    return hashlib.sha256(f"{password_hash}\0{password}".encode()).hexdigest()


def _write_private(path: Path, data: dict) -> None:
    """Write `data` as JSON readable by the owner only, never briefly readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class Command(BaseCommand):
    help = (
        "Create or update the demo analyst (group Analysts) and the demo marketing lead "
        "(group Marketing leads, staff). Usernames and passwords come from "
        "YENNI_DEMO_{ANALYST,LEAD}_{USER,PASSWORD}; a missing password is generated once and "
        f"kept in <YENNI_DATA_DIR>/{CREDENTIALS_FILE}, so re-runs print the same."
    )

    def handle(self, *args, **options) -> None:
        path = Path(settings.DATA_DIR) / CREDENTIALS_FILE
        stored = _read_stored(path)
        to_store = {key: dict(value) for key, value in stored.items()}
        credentials: list[tuple[DemoRole, str, str]] = []
        for role in ROLES:
            username = os.environ.get(role.user_env) or role.default_username
            password = os.environ.get(role.password_env)
            if not password:
                # A password given in the environment stays there; only generated ones are kept.
                kept = stored.get(role.key, {})
                password = kept.get("password") or secrets.token_urlsafe(12)
                to_store[role.key] = {"username": username, "password": password}
                if kept.get("username") == username and kept.get("seal") == _seal(
                    kept.get("hash", ""), password
                ):
                    to_store[role.key].update(hash=kept["hash"], seal=kept["seal"])
            credentials.append((role, username, password))

        with transaction.atomic():
            for role, username, password in credentials:
                known_hash = to_store.get(role.key, {}).get("hash", "")
                saved_hash = self._save_user(role, username, password, known_hash)
                if role.key in to_store:
                    to_store[role.key].update(hash=saved_hash, seal=_seal(saved_hash, password))
        # Only after the users exist: a failed run must not keep passwords nobody can use.
        if to_store != stored:
            _write_private(path, to_store)

        self.stdout.write(f"Demo users (generated passwords are kept in {path}):")
        for role, username, password in credentials:
            self.stdout.write(f"  {role.label:<38} user: {username:<12} password: {password}")

    def _save_user(self, role: DemoRole, username: str, password: str, known_hash: str) -> str:
        """Create or update the user; return its stored password hash.

        `known_hash` is the hash this command stored for the same generated password last time:
        when the user still has it, the password is already right and is not hashed again
        (PBKDF2 costs about a second per user on a busy 2-core machine, on every run.sh start).
        """
        try:
            group = Group.objects.get(name=role.group)
        except Group.DoesNotExist as exc:
            raise CommandError(
                f"The group {role.group!r} does not exist. Run `python manage.py migrate` first."
            ) from exc
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=username)
        user.is_active = True
        user.is_staff = role.is_staff
        user.is_superuser = False
        if not known_hash or user.password != known_hash:
            user.set_password(password)
        user.save()
        user.groups.add(group)
        return user.password
