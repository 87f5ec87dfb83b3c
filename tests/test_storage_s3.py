"""Images on an S3-compatible bucket: moto's S3 server stands in for the bank's bucket."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage, storages
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from creatives.services import creative_image_store

REPO = Path(__file__).resolve().parent.parent
BUCKET = "yenni-test-images"
PREFIX = "media"
ACCESS_KEY = "yenni-test-access"
SECRET_KEY = "yenni-test-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """Start moto's S3 server on a free port and yield its address; stop it afterwards."""
    binary = Path(sys.executable).parent / "moto_server"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: install the dev extra (pip install -e '.[dev]').")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None:
                    pytest.fail(f"moto_server exited: {process.stderr.read().decode()}")
                if time.monotonic() > deadline:
                    pytest.fail("moto_server did not answer within 30 seconds")
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


@pytest.fixture(scope="module")
def bucket(s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def s3_storage(s3_endpoint, bucket, settings):
    """Make the default storage the S3 bucket, shaped like settings.py's S3 branch."""
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_endpoint,
        "region_name": REGION,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "location": PREFIX,
        "addressing_style": None,
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
    }
    s3 = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    with override_settings(STORAGES={**settings.STORAGES, "default": s3}):
        yield default_storage
    # Leaving override_settings resets the storages again: later tests get the local folder.


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_overriding_storages_swaps_the_default_storage_for_s3(s3_storage, s3_endpoint):
    assert type(storages["default"]).__name__ == "S3Storage"
    assert (s3_storage.bucket_name, s3_storage.endpoint_url) == (BUCKET, s3_endpoint)


def test_a_stored_image_lands_in_the_bucket_under_its_hash(db, s3_storage, bucket):
    data = _png((200, 30, 40))

    image, created = creative_image_store(data=data)

    key = f"{PREFIX}/{image.file.name}"
    assert created is True
    assert image.file.name == f"images/{image.sha256[:2]}/{image.sha256[2:4]}/{image.sha256}.png"
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
    with s3_storage.open(image.file.name, "rb") as handle:
        assert handle.read() == data


def test_storing_the_same_bytes_twice_writes_one_object(db, s3_storage, bucket):
    data = _png((10, 120, 60))

    first, _ = creative_image_store(data=data)
    second, created = creative_image_store(data=data)

    assert (second.pk, created) == (first.pk, False)
    listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/{first.file.name}")
    assert listed["KeyCount"] == 1


def test_the_image_view_redirects_to_a_signed_url_that_serves_the_bytes(
    client, analyst, s3_storage, s3_endpoint
):
    data = _png((20, 60, 150))
    image, _ = creative_image_store(data=data)
    client.force_login(analyst)

    response = client.get(reverse("library_image_file", args=[image.pk]))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_endpoint}/{BUCKET}/{PREFIX}/{image.file.name}?")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in location
    assert "X-Amz-Signature=" in location
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == data


def test_the_image_view_sends_an_anonymous_visitor_to_login(client, db, s3_storage):
    image, _ = creative_image_store(data=_png((90, 90, 90)))

    response = client.get(reverse("library_image_file", args=[image.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_user_in_neither_group_gets_no_signed_url(client, outsider, s3_storage):
    image, _ = creative_image_store(data=_png((91, 90, 90)))
    client.force_login(outsider)

    response = client.get(reverse("library_image_file", args=[image.pk]))

    assert response.status_code == 403
    assert "Location" not in response


def test_a_token_client_follows_the_api_address_to_the_signed_url(analyst, s3_storage, s3_endpoint):
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    data = _png((30, 160, 40))
    image, _ = creative_image_store(data=data)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=analyst)[1]}")

    response = api.get(reverse("api:creative-image-file", args=[image.pk]))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_endpoint}/{BUCKET}/{PREFIX}/{image.file.name}?")
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == data


def test_settings_pick_s3_when_a_bucket_is_named(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.core.files.storage import storages\n"
        "s = storages['default']\n"
        "import json; print(json.dumps([type(s).__module__ + '.' + type(s).__name__,"
        " s.bucket_name, s.endpoint_url, s.location, s.default_acl, s.querystring_auth,"
        " s.signature_version]))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "yenni_site.settings",
        "YENNI_DATA_DIR": str(tmp_path),
        "YENNI_SECRET_KEY": "k",
        "YENNI_S3_BUCKET": "yenni-ads",
        "YENNI_S3_ENDPOINT_URL": "https://s3.example.co",
        "YENNI_S3_PREFIX": "media",
    }

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "storages.backends.s3.S3Storage",
        "yenni-ads",
        "https://s3.example.co",
        "media",
        None,
        True,
        "s3v4",
    ]
