"""TLS (always verified, extra CA per host) and proxies, against local servers only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tracker.archive import Archive
from tracker.config import FetchSettings
from tracker.errors import FetchError
from tracker.fetch import Fetcher
from tracker.replay import ReplayServer


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca_and_server_cert(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A throw-away CA, and a server context whose certificate that CA signed (127.0.0.1)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder().subject_name(_name("test CA")).issuer_name(_name("test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = folder / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain = folder / "server.pem"
    chain.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_path, context


def fetcher(tmp_path: Path, **values: object) -> Fetcher:
    settings = FetchSettings(min_interval=0.0, retries=0, **values)  # type: ignore[arg-type]
    return Fetcher(settings, Archive(tmp_path / "archive"))


def test_tls_is_verified_and_an_extra_ca_can_be_trusted_per_host(tmp_path: Path) -> None:
    ca, context = make_ca_and_server_cert(tmp_path)
    with ReplayServer(tls=context, max_requests=20, lifetime=30) as server:
        server.set("/p", "secret page")
        url = f"{server.base_url}/p"
        assert url.startswith("https://127.0.0.1:")
        with fetcher(tmp_path) as plain, pytest.raises(FetchError, match="CERTIFICATE_VERIFY"):
            plain.get(url)
        with fetcher(tmp_path, ca_bundles={"127.0.0.1": str(ca)}) as trusting:
            assert trusting.get(url).text == "secret page"
        # The extra CA is for that host only: another host name gets the default trust.
        with fetcher(tmp_path, ca_bundles={"old.adilet.zan.kz": str(ca)}) as other, \
                pytest.raises(FetchError, match="CERTIFICATE_VERIFY"):
            other.get(url)


def test_requests_go_through_the_configured_proxy(tmp_path: Path, replay: ReplayServer) -> None:
    # The replay server plays the proxy: it receives absolute-URI requests for a host name
    # that is never resolved, so nothing leaves this machine.
    replay.set("/robots.txt", "User-agent: *\nAllow: /\n")
    replay.set("/list", "via proxy")
    with fetcher(tmp_path, proxy=replay.base_url) as proxied:
        result = proxied.get("http://legalacts.example.invalid/list")
    assert result.text == "via proxy"
    assert [e.path for e in replay.log] == ["http://legalacts.example.invalid/robots.txt",
                                            "http://legalacts.example.invalid/list"]
