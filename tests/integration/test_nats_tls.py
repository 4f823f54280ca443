"""The documented TLS option (docs/operations.md): the embedded server with a certificate,
for a server that is not on loopback; clients verify it."""

from __future__ import annotations

import datetime as dt
import gc
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.errors
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.common import nats_auth
from services.common.natsd import EmbeddedNats, TlsFiles, free_port

pytestmark = pytest.mark.integration


def self_signed(directory: Path) -> TlsFiles:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tinhhinh-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "cert.pem", directory / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return files


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedNats]:
    files = self_signed(tmp_path / "tls")
    # The clients trust it as they would a private CA: SSL_CERT_FILE (docs/operations.md).
    monkeypatch.setenv("SSL_CERT_FILE", str(files.cert))
    monkeypatch.setenv("TINHHINH_NATS_TLS_CERT", str(files.cert))
    monkeypatch.setenv("TINHHINH_NATS_TLS_KEY", str(files.key))
    server = EmbeddedNats(tmp_path / "home", free_port(), tls=TlsFiles.from_env())
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_a_tls_server_is_reached_over_tls_with_credentials(tls_server: EmbeddedNats):
    assert tls_server.url.startswith("tls://127.0.0.1:")
    assert "tls {" in tls_server.config_path.read_text()
    nc = await nats.connect(tls_server.url, allow_reconnect=False, max_reconnect_attempts=1,
                            **tls_server.auth(nats_auth.READER))
    try:
        assert nc.is_connected
        assert nc.connected_server_version.major >= 2
    finally:
        await nc.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # nats-py's socket
async def test_a_client_that_does_not_trust_the_certificate_is_refused(
        tls_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SSL_CERT_FILE")

    async def quiet(_: Exception) -> None:
        return None

    with pytest.raises((ssl.SSLError, nats.errors.Error, OSError)):
        await nats.connect(tls_server.url, allow_reconnect=False, max_reconnect_attempts=1,
                           connect_timeout=2, error_cb=quiet,
                           **tls_server.auth(nats_auth.READER))
    gc.collect()  # nats-py leaves the refused socket: collected here, under this filter


def test_half_a_tls_configuration_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TINHHINH_NATS_TLS_CERT", "/x/cert.pem")
    monkeypatch.delenv("TINHHINH_NATS_TLS_KEY", raising=False)
    with pytest.raises(ValueError, match="both"):
        TlsFiles.from_env()
