"""Creative images: fetched within limits, a failure recorded on the creative and retried."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3.util.connection

from creatives.models import CreativeImageSlot
from ingestion import images
from ingestion.images import ImageFetchError, image_fetch
from ingestion.models import ImageFetchFailure, IngestionRun
from tests.fakes.server import FakePlatform, FakeServer, noisy_png, png_bytes
from tests.ingestion.conftest import sync


@pytest.fixture
def image_server():
    with FakeServer(FakePlatform(token="unused")) as server:
        yield server


def fetch(
    url: str, *, hosts=("127.0.0.1",), networks=("127.0.0.1/32",), max_bytes=20_000, timeout=5
) -> bytes:
    return image_fetch(
        url,
        allowed_hosts=list(hosts),
        allowed_networks=list(networks),
        max_bytes=max_bytes,
        timeout=timeout,
    )


def test_an_allowed_host_serves_the_image_bytes(image_server):
    data = fetch(f"{image_server.url}/images/a.png")

    assert data.startswith(b"\x89PNG")


def test_a_host_outside_the_allowlist_is_refused_before_any_download(image_server):
    url = image_server.url.replace("127.0.0.1", "localhost") + "/images/a.png"

    with pytest.raises(ImageFetchError, match="'localhost' is not in the image host allowlist"):
        fetch(url)
    assert image_server.platform.image_downloads == 0


def test_a_wildcard_pattern_allows_the_platform_cdn_hosts():
    from ingestion.images import host_allowed

    patterns = ["*.fbcdn.net", "scontent*.xx.fbcdn.net", "media.licdn.com"]
    assert host_allowed("scontent-bog1-1.xx.fbcdn.net", patterns)
    assert host_allowed("MEDIA.LICDN.COM", patterns)
    assert not host_allowed("fbcdn.net.evil.example", patterns)
    assert not host_allowed("licdn.com", patterns)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/a.png", "file:///etc/passwd", "data:image/png,"])
def test_only_http_and_https_addresses_are_fetched(url):
    with pytest.raises(ImageFetchError, match="Only http and https"):
        fetch(url)


def test_an_image_over_the_byte_cap_is_refused(image_server):
    image_server.platform.broken_images["big.png"] = "big"

    with pytest.raises(ImageFetchError, match="above the limit of 20,000"):
        fetch(f"{image_server.url}/images/big.png")


def test_a_page_that_is_not_an_image_is_refused(image_server):
    image_server.platform.broken_images["page.png"] = "html"

    with pytest.raises(ImageFetchError, match="served text/html, not an image"):
        fetch(f"{image_server.url}/images/page.png")


def image_name(fake, index: int) -> str:
    return fake.history.creatives[index].image_path.removeprefix("/images/")


def test_broken_images_are_recorded_and_tried_again_by_the_next_run(
    fake_meta, meta_account, settings
):
    settings.INGEST_IMAGE_MAX_BYTES = 20_000
    fake_meta.broken_images = {
        image_name(fake_meta, 0): "big",
        image_name(fake_meta, 1): "bomb",
        image_name(fake_meta, 2): "html",
        image_name(fake_meta, 3): "missing",
    }

    first = sync(meta_account)

    assert first.status == IngestionRun.Status.SUCCEEDED, first.error
    assert (first.images_stored, first.images_failed) == (10, 4)
    failures = {
        f.creative.external_id: (f.attempts, f.error)
        for f in ImageFetchFailure.objects.select_related("creative")
    }
    creatives = [c.id for c in fake_meta.history.creatives]
    big = len(noisy_png())
    assert failures[creatives[0]] == (1, f"The image is {big:,} bytes, above the limit of 20,000.")
    assert failures[creatives[1]][1].startswith("The image is too large to decode safely")
    assert failures[creatives[2]][1] == "The address served text/html, not an image."
    assert failures[creatives[3]][1] == "The image address answered HTTP 404."

    fake_meta.broken_images = {image_name(fake_meta, 0): "big"}
    second = sync(meta_account)

    assert (second.images_stored, second.images_failed) == (3, 1)
    assert list(ImageFetchFailure.objects.values_list("creative__external_id", "attempts")) == [
        (creatives[0], 2)
    ]

    fake_meta.broken_images = {}
    third = sync(meta_account)

    assert (third.images_stored, third.images_failed) == (1, 0)
    assert ImageFetchFailure.objects.count() == 0
    assert CreativeImageSlot.objects.filter(creative__platform="meta").count() == 14


# Server-side request forgery: the address is read as the HTTP client reads it, resolved once,
# checked, and connected to; nothing private is contacted unless a setting allows it. -----------

REFUSED_ADDRESS = (
    "The image address was refused: its host does not resolve to a public internet address "
    "(YENNI_INGEST_IMAGE_ALLOWED_NETWORKS lists the private networks that may serve images)."
)
NETWORK_REFUSED = (
    "The image download was refused by the network (no connection, no answer or a broken "
    "answer); the next run tries again."
)


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection the HTTP client opens; only loopback ones are really opened."""
    opened: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def spy(address, *args, **kwargs):
        opened.append(address)
        if address[0] != "127.0.0.1":
            raise AssertionError(f"a connection to {address} was attempted")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", spy)
    return opened


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://user@127.0.0.1/a.png", "it names a user or a password before the host"),
        ("http://user:pass@scontent.xx.fbcdn.net/a.png", "it names a user or a password"),
        ("http://127.0.0.1\\@example.com/a.png", "it holds a backslash, a space or a control"),
        ("http://127.0.0.1:8765\\@scontent.xx.fbcdn.net/x.png", "it holds a backslash"),
        ("http://scontent.xx.fbcdn.net\t.evil.example/a.png", "it holds a backslash"),
        ("http://[::1]/a.png", REFUSED_ADDRESS),
        ("http://[::ffff:127.0.0.1]/a.png", REFUSED_ADDRESS),
        ("http://0x7f000001/a.png", REFUSED_ADDRESS),
        ("http://2130706433/a.png", REFUSED_ADDRESS),
        ("http://127.1:8765/a.png", REFUSED_ADDRESS),
        ("http://0.0.0.0/a.png", REFUSED_ADDRESS),
        ("http://169.254.169.254/latest/meta-data", REFUSED_ADDRESS),
        ("http://10.0.0.1/a.png", REFUSED_ADDRESS),
        ("http://192.168.1.10/a.png", REFUSED_ADDRESS),
        ("http://100.64.0.1/a.png", REFUSED_ADDRESS),
        ("http://224.0.0.1/a.png", REFUSED_ADDRESS),
        ("https://localhost/a.png", REFUSED_ADDRESS),
    ],
)
def test_a_private_or_ambiguous_address_is_refused_before_any_connection(url, reason, connections):
    # "*" lets every host through the allowlist: the address check alone must refuse.
    with pytest.raises(ImageFetchError) as caught:
        fetch(url, hosts=["*"], networks=[])

    assert str(caught.value).startswith("The image address was refused: ")
    assert reason in str(caught.value)
    assert connections == []


def test_the_allowlist_is_read_from_the_host_the_client_would_connect_to(connections):
    # urlsplit reads scontent.xx.fbcdn.net here; the HTTP client would connect to 127.0.0.1.
    url = "http://127.0.0.1:8765\\@scontent.xx.fbcdn.net/x.png"

    with pytest.raises(ImageFetchError, match="refused: it holds a backslash"):
        fetch(url, hosts=["*.fbcdn.net"], networks=["127.0.0.1/32"])

    assert connections == []


class _Recorder(BaseHTTPRequestHandler):
    """Serves /a.png and redirects /away; records the Host header of every request."""

    hosts: list[str] = []
    redirect_to = ""

    def do_GET(self):
        self.hosts.append(self.headers["Host"])
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return
        body = png_bytes(3)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[int, type[_Recorder]]]:
    handler = type("Recorder", (_Recorder,), {"hosts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


def resolver(monkeypatch, *answers: list[str]) -> list[str]:
    """Make names resolve to `answers`, one list per lookup; return the names looked up."""
    asked: list[str] = []
    replies = iter(answers)

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(replies)

    monkeypatch.setattr(images, "resolve_host", resolve)
    return asked


def test_the_connection_goes_to_the_checked_address_with_the_names_host_header(
    recorder, connections, monkeypatch
):
    port, handler = recorder
    # A rebinding DNS answers a private address the second time: it is never asked again.
    asked = resolver(monkeypatch, ["127.0.0.1"], ["10.0.0.1"])

    data = fetch(
        f"http://cdn.example.test:{port}/a.png",
        hosts=["cdn.example.test"],
        networks=["127.0.0.1/32"],
    )

    assert data == png_bytes(3)
    assert asked == ["cdn.example.test"]
    assert connections == [("127.0.0.1", port)]
    assert handler.hosts == [f"cdn.example.test:{port}"]


def test_a_name_with_one_private_address_among_public_ones_is_refused(connections, monkeypatch):
    resolver(monkeypatch, ["93.184.216.34", "10.0.0.1"])

    with pytest.raises(ImageFetchError) as caught:
        fetch("https://cdn.example.test/a.png", hosts=["*"], networks=[])

    assert str(caught.value) == REFUSED_ADDRESS
    assert connections == []


def test_a_name_that_does_not_resolve_is_refused_like_a_private_one(connections, monkeypatch):
    def unknown(host: str, port: int) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(images, "resolve_host", unknown)

    with pytest.raises(ImageFetchError) as caught:
        fetch("https://nowhere.example.test/a.png", hosts=["*"], networks=[])

    assert str(caught.value) == REFUSED_ADDRESS
    assert connections == []


def test_a_redirect_to_the_metadata_address_is_refused_before_connecting(recorder, connections):
    port, handler = recorder
    handler.redirect_to = "http://169.254.169.254/latest/meta-data/iam/"

    with pytest.raises(ImageFetchError) as caught:
        fetch(f"http://127.0.0.1:{port}/away", hosts=["*"])

    assert str(caught.value) == REFUSED_ADDRESS
    assert connections == [("127.0.0.1", port)]


def test_a_closed_port_and_a_silent_one_fail_with_the_same_words(connections):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        errors = []
        for port in (closed_port, silent.getsockname()[1]):
            with pytest.raises(ImageFetchError) as caught:
                fetch(f"http://127.0.0.1:{port}/a.png", timeout=0.5)
            errors.append(str(caught.value))
    finally:
        silent.close()

    assert errors == [NETWORK_REFUSED, NETWORK_REFUSED]


def test_a_refused_address_is_stored_on_the_creative_as_refused(db, settings):
    from creatives.models import Creative
    from ingestion.connectors.records import CreativeRecord
    from ingestion.services import creative_images_sync
    from tests.factories import make_account

    settings.INGEST_IMAGE_HOSTS = ["*"]
    settings.INGEST_IMAGE_ALLOWED_NETWORKS = []
    account = make_account(platform="meta")
    run = IngestionRun.objects.create(account=account)
    creative = Creative.objects.create(platform="meta", external_id="c1", headline="Cuotas")
    record = CreativeRecord(external_id="c1", image_urls=("http://169.254.169.254/latest/",))

    creative_images_sync(creatives={"c1": creative}, records=[record], run=run)

    assert run.images_failed == 1
    assert ImageFetchFailure.objects.get().error == REFUSED_ADDRESS


def _certificate(tmp_path, name: str) -> tuple[str, str, str]:
    """A throw-away CA and a certificate it signs for `name`: (ca file, cert file, key file)."""
    x509 = pytest.importorskip("cryptography.x509")
    import datetime as dt

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def issue(subject, issuer, key, signer, *, ca: bool, san: str = ""):
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = issue("Yenni test CA", "Yenni test CA", ca_key, ca_key, ca=True)
    leaf = issue(name, "Yenni test CA", leaf_key, ca_key, ca=False, san=name)
    files = tmp_path / "ca.pem", tmp_path / "leaf.pem", tmp_path / "leaf.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tuple(str(f) for f in files)


@pytest.fixture
def tls_recorder(tmp_path, monkeypatch):
    """An HTTPS image server on 127.0.0.1 for cdn.example.test; records the SNI names asked."""
    import ssl

    ca_file, cert_file, key_file = _certificate(tmp_path, "cdn.example.test")
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    handler = type("Recorder", (_Recorder,), {"hosts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Trust the test CA in the image client only.
    pinned_session = images._pinned_session

    def trusting(address: str):
        session = pinned_session(address)
        session.verify = ca_file
        return session

    monkeypatch.setattr(images, "_pinned_session", trusting)
    yield server.server_address[1], handler, names
    server.shutdown()
    server.server_close()


def test_https_connects_to_the_checked_address_but_verifies_the_names_certificate(
    tls_recorder, connections, monkeypatch
):
    port, handler, names = tls_recorder
    resolver(monkeypatch, ["127.0.0.1"])

    data = fetch(
        f"https://cdn.example.test:{port}/a.png",
        hosts=["cdn.example.test"],
        networks=["127.0.0.1/32"],
    )

    assert data == png_bytes(3)
    assert connections == [("127.0.0.1", port)]
    assert names == ["cdn.example.test"]
    assert handler.hosts == [f"cdn.example.test:{port}"]


def test_https_to_a_name_the_certificate_does_not_cover_is_refused(
    tls_recorder, connections, monkeypatch
):
    port, handler, _names = tls_recorder
    resolver(monkeypatch, ["127.0.0.1"])

    with pytest.raises(ImageFetchError) as caught:
        fetch(f"https://other.example.test:{port}/a.png", hosts=["*"], networks=["127.0.0.1/32"])

    assert str(caught.value) == NETWORK_REFUSED
    assert handler.hosts == []
