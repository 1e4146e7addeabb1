"""The SMTP ingress's TLS: the configured certificate, or a self-signed one made once.

With ``smtp_cert_file`` and ``smtp_key_file`` set (``ICOMM_SMTP_CERT_FILE``,
``ICOMM_SMTP_KEY_FILE``) those PEM files are used as they are. Without them (the
embedded default) the node makes a self-signed certificate for its mail domain and
``localhost`` (EC P-256, valid two years) in ``<data dir>/smtp/``: ``cert.pem``, and
``key.pem`` written 0600 (encrypted with the key passphrase when one is set). It is
reused at every start and made again only when it no longer names the mail domain or
has less than 30 days left. Mail clients show it as untrusted until a user accepts it
(or the administrator installs a real certificate).
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.config import Settings
from hub.errors import HubError
from storage.files import write_atomic

log = logging.getLogger(__name__)

VALIDITY = timedelta(days=730)
RENEW_BEFORE = timedelta(days=30)
LOCAL_NAMES = ("localhost",)
LOCAL_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class CertificateFiles:
    """Where the certificate and its key are, and the key's passphrase if any."""

    cert: Path
    key: Path
    password: bytes | None = None


def smtp_dir(settings: Settings) -> Path:
    return settings.data_dir / "smtp"


def ensure_certificate(settings: Settings) -> CertificateFiles:
    """The configured certificate, or the node's self-signed one (made now if need be).

    Call it once before starting several processes of one node, so they do not race to
    make the self-signed certificate.
    """
    cert_file, key_file = settings.smtp_cert_file, settings.smtp_key_file
    if (cert_file is None) != (key_file is None):
        raise HubError(
            "set both ICOMM_SMTP_CERT_FILE and ICOMM_SMTP_KEY_FILE (the certificate and "
            "its private key), or neither for a self-signed certificate"
        )
    if cert_file is not None and key_file is not None:
        for path in (cert_file, key_file):
            if not path.is_file():
                raise HubError(f"the SMTP TLS file {path} does not exist")
        return CertificateFiles(cert_file, key_file, settings.passphrase)
    domain = settings.effective_mail_domain
    files = CertificateFiles(
        smtp_dir(settings) / "cert.pem", smtp_dir(settings) / "key.pem", settings.passphrase
    )
    if not files.key.is_file() or not _usable(files.cert, domain):
        _make_self_signed(files, domain)
    return files


def server_context(files: CertificateFiles) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or newer) holding the certificate and its key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        # never a passphrase prompt on the terminal: no passphrase set means an empty one
        context.load_cert_chain(files.cert, files.key, password=files.password or b"")
    except (ssl.SSLError, OSError) as exc:
        raise HubError(
            f"cannot load the SMTP certificate {files.cert} with its key {files.key}: {exc} "
            "(do they belong together? is the key passphrase right?)"
        ) from exc
    return context


def _usable(cert_path: Path, domain: str) -> bool:
    """True if the self-signed certificate exists, names ``domain`` and is not expiring."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    return (
        domain in names.get_values_for_type(x509.DNSName)
        and cert.not_valid_after_utc - datetime.now(UTC) > RENEW_BEFORE
    )


def _make_self_signed(files: CertificateFiles, domain: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, domain),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Icomm node (self-signed)"),
        ]
    )
    now = datetime.now(UTC)
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(n) for n in dict.fromkeys((domain, *LOCAL_NAMES))
    ]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in LOCAL_IPS]
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(files.password)
        if files.password
        else serialization.NoEncryption()
    )
    files.key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # the key first: a certificate on disk always has its key beside it
    write_atomic(
        files.key,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ),
    )
    write_atomic(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    log.info(
        "made a self-signed SMTP certificate for %s in %s (valid until %s)",
        domain,
        files.cert,
        cert.not_valid_after_utc.date(),
    )
