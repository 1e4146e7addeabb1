"""One settings object for a node.

Values come, in rising priority, from the defaults below, an optional TOML file
(``ICOMM_CONFIG`` or ``--config``) and ``ICOMM_*`` environment variables. With no
configuration at all a working single node runs on the embedded default: SQLite
in ``./icomm-data`` and the ``local`` transport.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

NODE_ID = re.compile(r"^(?:[a-z]{2}|wco)$")


class Settings(BaseSettings):
    # an empty variable is an unset one (docker compose passes "${X:-}" through as "")
    model_config = SettingsConfigDict(env_prefix="ICOMM_", extra="forbid", env_ignore_empty=True)

    node: str = Field("xx", description="this node's id: ISO 3166 alpha-2 code or 'wco'")
    data_dir: Path = Field(Path("icomm-data"), description="where the node keeps its data")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    amqp_url: SecretStr | None = Field(None, description="RabbitMQ URL; absent means 'local'")
    amqp_prefix: str = Field(
        "icomm",
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="names the exchange and queues (<prefix>.<node>.in): one broker can hold "
        "a production and a training network side by side",
    )
    spool_dir: Path | None = Field(
        None, description="the local transport's spool, shared by nodes on one machine"
    )
    key_passphrase: SecretStr | None = Field(None, description="unlocks the node's private keys")
    clock_skew_seconds: int = Field(600, ge=0, description="allowed timestamp window, ± seconds")
    bundle_size: int = Field(512, ge=1, le=1000, description="messages sealed per envelope")
    group_window_ms: float = Field(
        4.0,
        ge=0,
        le=1000,
        description="while the node is busy, how long a submission waits for others to share "
        "its transaction, milliseconds; 0: never",
    )
    verify_workers: int | None = Field(
        None,
        ge=0,
        le=64,
        description="threads checking the signatures of large bundles beside the event loop; "
        "default: one per CPU but one (at least 1, at most 4); 0: on the event loop",
    )
    max_message_bytes: int = Field(
        16 * 2**20, ge=2**16, le=48 * 2**20, description="largest message, attachments included"
    )
    mail_domain: str | None = Field(None, description="SMTP domain mapped onto this node")
    smtp_host: str = Field("127.0.0.1", description="address the SMTP ingress listens on")
    smtp_port: int = Field(
        2525, ge=0, le=65535, description="SMTP ingress port (STARTTLS required); 0: any free port"
    )
    smtp_cert_file: Path | None = Field(
        None, description="PEM certificate (chain) for STARTTLS; absent: a self-signed one"
    )
    smtp_key_file: Path | None = Field(None, description="PEM private key of smtp_cert_file")
    notify_smtp_url: SecretStr | None = Field(
        None,
        description="outbound relay for 'a new message is waiting' notices, "
        "smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://…; absent: none",
    )
    notify_from: str | None = Field(None, description="sender of notices; icomm@<mail domain>")
    smtp_max_bytes: int = Field(
        25 * 2**20, ge=2**10, le=2**30, description="largest mail the SMTP ingress accepts, as sent"
    )
    web_host: str = Field("127.0.0.1", description="address the web app and JSON API listen on")
    web_port: int = Field(8080, ge=0, le=65535, description="web app port; 0: any free port")
    web_secure_cookies: bool = Field(
        True,
        description="mark session cookies Secure (sent over HTTPS only); false only for "
        "development on http://localhost",
    )

    @field_validator("node")
    @classmethod
    def _node_id(cls, value: str) -> str:
        value = value.strip().lower()
        if not NODE_ID.match(value):
            raise ValueError(
                f"node id {value!r} is not an ISO 3166 alpha-2 code (like 'ge') or 'wco'"
            )
        return value

    @property
    def key_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def trust_path(self) -> Path:
        return self.data_dir / "keys" / "trust.json"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'icomm.db').resolve()}"

    @property
    def effective_spool_dir(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    @property
    def effective_mail_domain(self) -> str:
        """This node's SMTP domain: ``mail_domain``, else ``<node>.icomm.example``."""
        return (self.mail_domain or f"{self.node}.icomm.example").strip().lower().rstrip(".")

    @property
    def passphrase(self) -> bytes | None:
        return self.key_passphrase.get_secret_value().encode() if self.key_passphrase else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: file values, then environment, then explicit overrides."""
    import os

    file_values: dict[str, Any] = {}
    path = config_file or (
        Path(os.environ["ICOMM_CONFIG"]) if "ICOMM_CONFIG" in os.environ else None
    )
    if path is not None:
        with path.open("rb") as fh:
            file_values = tomllib.load(fh)
    env_set = {name for name in Settings.model_fields if f"ICOMM_{name.upper()}" in os.environ}
    init = {k: v for k, v in file_values.items() if k not in env_set}
    init.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**init)
    if "node" not in settings.model_fields_set:
        # a data directory remembers its node: `--data-dir D/am` alone is enough
        from keys import NodeKeyring

        owner = NodeKeyring.owner(settings.key_dir)
        if owner is not None:
            settings = Settings(**{**init, "node": owner})
    return settings
