"""Platform settings (pydantic-settings, env prefix ``ATR_``), shared by every run mode.

The defaults give the embedded stack on loopback; compose and Kubernetes set the same
variables. ``DATABASE_URL`` is per process (each service owns its database). ``atr up``
gives every service one: a database of the embedded PostgreSQL it starts (port
``ATR_POSTGRES_PORT``, cluster in ``$ATR_DATA_DIR/postgres``), or, with
``ATR_DATABASE_URL_TEMPLATE``, one on an external server. A service process started with
neither uses the SQLite file ``$ATR_DATA_DIR/<service>.db`` (single-process tools and
tests).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.topics import CLAIMS_SUBMITTED

SERVICES: tuple[str, ...] = ("eligibility", "vouchers", "claims", "payments", "reporting")
"""Back-end services, in start order; the gateway starts after them."""

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development
DEVELOPMENT_INTERNAL_KEY = "development-only-internal-key-change-me"
DEVELOPMENT_SSN_KEY = "development-only-ssn-key-change-me"
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
JwtAlgorithm = Literal["RS256", "ES256"]
JWT_ALGORITHMS: tuple[JwtAlgorithm, ...] = ("RS256", "ES256")
"""Signature algorithms of OAuth2 access tokens the gateway can accept (asymmetric only)."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Settings(BaseSettings):
    """The settings every process shares: where it runs, its database, the broker and its
    security, the keys, the program, logs and traces. A service with knobs of its own
    extends it (``ClaimsSettings``, ``VouchersSettings``, ``PaymentsSettings``,
    ``GatewaySettings``; the launcher's ``LauncherSettings``); one instance per process."""

    model_config = SettingsConfigDict(env_prefix="ATR_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    service: str = Field(default="gateway", description="Which service this process runs.")
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"

    gateway_port: int = 8080
    eligibility_port: int = 8081
    vouchers_port: int = 8082
    claims_port: int = 8083
    payments_port: int = 8084
    reporting_port: int = 8085
    eligibility_url: str | None = None
    vouchers_url: str | None = None
    claims_url: str | None = None
    payments_url: str | None = None
    reporting_url: str | None = None

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "ATR_KAFKA_BOOTSTRAP_SERVERS"),
    )
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL", "ATR_KAFKA_SECURITY_PROTOCOL"),
        description="How every Kafka client connects: PLAINTEXT (embedded broker, compose), "
        "SSL (TLS), SASL_PLAINTEXT or SASL_SSL (SASL over TLS, what a state cluster runs).",
    )
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SASL_MECHANISM", "ATR_KAFKA_SASL_MECHANISM"),
        description="SASL mechanism; required with a SASL_* security protocol.",
    )
    kafka_sasl_username: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SASL_USERNAME", "ATR_KAFKA_SASL_USERNAME"),
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SASL_PASSWORD", "ATR_KAFKA_SASL_PASSWORD"),
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SSL_CAFILE", "ATR_KAFKA_SSL_CAFILE"),
        description="PEM file of the CA that signed the brokers' certificates (SSL, "
        "SASL_SSL); unset: the system's trust store.",
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SSL_CERTFILE", "ATR_KAFKA_SSL_CERTFILE"),
        description="Client certificate (PEM) when the cluster authenticates clients by TLS.",
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SSL_KEYFILE", "ATR_KAFKA_SSL_KEYFILE"),
    )
    kafka_oauth_token_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_OAUTH_TOKEN_URL", "ATR_KAFKA_OAUTH_TOKEN_URL"),
        description="OAUTHBEARER: the OAuth2 token endpoint (client-credentials grant).",
    )
    kafka_oauth_client_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_OAUTH_CLIENT_ID", "ATR_KAFKA_OAUTH_CLIENT_ID"),
    )
    kafka_oauth_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_OAUTH_CLIENT_SECRET", "ATR_KAFKA_OAUTH_CLIENT_SECRET"),
    )
    kafka_oauth_scope: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_OAUTH_SCOPE", "ATR_KAFKA_OAUTH_SCOPE"),
    )
    kafka_replication_factor: int = Field(
        default=1,
        ge=1,
        validation_alias=AliasChoices("KAFKA_REPLICATION_FACTOR", "ATR_KAFKA_REPLICATION_FACTOR"),
        description="Replication factor of the topics the platform creates (1 for the "
        "embedded broker; 3 on a production cluster).",
    )
    kafka_min_insync_replicas: int | None = Field(
        default=None,
        ge=1,
        validation_alias=AliasChoices("KAFKA_MIN_INSYNC_REPLICAS", "ATR_KAFKA_MIN_INSYNC_REPLICAS"),
        description="min.insync.replicas of created topics (with acks=all: 2 of 3).",
    )
    kafka_claims_partitions: int = Field(
        default=CLAIMS_SUBMITTED.partitions,
        ge=1,
        validation_alias=AliasChoices("KAFKA_CLAIMS_PARTITIONS", "ATR_KAFKA_CLAIMS_PARTITIONS"),
        description="Partitions of the claims topics: the most claim workers that can work "
        "at once. Size it for the largest worker count wanted; Kafka can add partitions "
        "later but never remove them, and adding them moves clients between partitions.",
    )
    kafka_retention_ms: dict[str, int] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("KAFKA_RETENTION_MS", "ATR_KAFKA_RETENTION_MS"),
        description="retention.ms by topic name for the topics the platform creates (JSON, "
        "e.g. KAFKA_RETENTION_MS='{\"atr.deadletter.v1\": 2592000000}'); -1 keeps forever. "
        "Unlisted topics get the broker's default.",
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "ATR_DATABASE_URL")
    )
    database_url_template: str | None = Field(
        default=None,
        description="Launcher only: an external PostgreSQL instead of the embedded one, "
        "e.g. postgresql+asyncpg://postgres@db.example/atr_{service}",
    )
    postgres_port: int = Field(
        default=5433,
        description="Launcher only: port of the embedded PostgreSQL on 127.0.0.1 (not "
        "5432, so it never collides with a system PostgreSQL).",
    )

    secret_key: str = Field(
        default=DEVELOPMENT_SECRET,
        description="Key of the stored API-token hashes (HMAC-SHA256).",
    )
    internal_key: str = Field(
        default=DEVELOPMENT_INTERNAL_KEY,
        description="Key of the signed caller assertions the gateway (and services calling "
        "each other) send to internal routes; every service must share it.",
    )
    ssn_hash_key: str = Field(
        default=DEVELOPMENT_SSN_KEY,
        description="Key of the SSN keyed hash eligibility stores (SPEC §3.1); separate "
        "from the token key so one leaked key does not expose the other.",
    )
    caller_assertion_ttl_s: float = Field(
        default=30.0, gt=0, description="Lifetime of a signed internal caller assertion."
    )

    program: str = Field(
        default="missouri_atr2",
        description="Active program catalog: a file name under programs/ without .yaml.",
    )
    program_rates: dict[str, Decimal] = Field(
        default_factory=dict,
        description="State-set prices by service code for catalogs without them "
        '(JSON, e.g. ATR_PROGRAM_RATES=\'{"RECOVERY_COACHING": "25.00"}\').',
    )
    clock_offset_days: int = Field(
        default=0, description="Shift the program clock (demo and test environments only)."
    )

    gc_gen0_threshold: int = Field(
        default=50_000,
        ge=0,
        description=(
            "Allocations between young-generation garbage collections (CPython's default "
            "is 700; batch work allocates far more, see services/kit/serve.py). 0 keeps "
            "the interpreter's default."
        ),
    )

    log_level: str = "INFO"
    otel_traces: Literal["none", "console", "file", "otlp"] = "none"
    outbox_poll_interval_s: float = 0.2

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        """Refuse the development keys anywhere but a loopback-only development or test
        process."""
        exposed = self.environment == "production" or self.host not in LOOPBACK_HOSTS
        defaults = {
            "ATR_SECRET_KEY": self.secret_key == DEVELOPMENT_SECRET,
            "ATR_INTERNAL_KEY": self.internal_key == DEVELOPMENT_INTERNAL_KEY,
            "ATR_SSN_HASH_KEY": self.ssn_hash_key == DEVELOPMENT_SSN_KEY,
        }
        if exposed:
            unset = [name for name, is_default in defaults.items() if is_default]
            if unset:
                raise ValueError(
                    f"{', '.join(unset)} must be set to real secrets outside a loopback-only "
                    f"development environment (environment={self.environment}, "
                    f"host={self.host})"
                )
        return self

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Settings:
        """A SASL protocol names its mechanism and that mechanism's credentials."""
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl != (self.kafka_sasl_mechanism is not None):
            raise ValueError(
                "KAFKA_SASL_MECHANISM goes with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or "
                f"SASL_SSL (protocol={self.kafka_security_protocol}, "
                f"mechanism={self.kafka_sasl_mechanism})"
            )
        if self.kafka_sasl_mechanism == "OAUTHBEARER":
            needed = {
                "KAFKA_OAUTH_TOKEN_URL": self.kafka_oauth_token_url,
                "KAFKA_OAUTH_CLIENT_ID": self.kafka_oauth_client_id,
                "KAFKA_OAUTH_CLIENT_SECRET": self.kafka_oauth_client_secret,
            }
        elif self.kafka_sasl_mechanism is not None:
            needed = {
                "KAFKA_SASL_USERNAME": self.kafka_sasl_username,
                "KAFKA_SASL_PASSWORD": self.kafka_sasl_password,
            }
        else:
            needed = {}
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise ValueError(
                f"KAFKA_SASL_MECHANISM={self.kafka_sasl_mechanism} needs {', '.join(missing)}"
            )
        return self

    def port_of(self, service: str) -> int:
        """The HTTP port a service listens on."""
        port: int = getattr(self, f"{service}_port")
        return port

    def url_of(self, service: str) -> str:
        """Base URL of a service's HTTP API (explicit ``ATR_<SERVICE>_URL`` wins)."""
        explicit: str | None = getattr(self, f"{service}_url", None)
        return explicit or f"http://{self.host}:{self.port_of(service)}"

    @cached_property
    def resolved_database_url(self) -> str:
        """This process's database: ``DATABASE_URL`` or a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        if self.database_url_template:
            return self.database_url_template.format(service=self.service)
        path = (self.data_dir / f"{self.service}.db").resolve()
        return f"sqlite+aiosqlite:///{path}"
