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
from urllib.parse import urlsplit

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
    """Every setting of the platform; one instance per process."""

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
    broker_storage: Literal["outbox", "memory"] = Field(
        default="outbox",
        description="Launcher only, embedded broker: what survives a stop and start. "
        "outbox (default): the broker keeps events in memory and, before the services "
        "start, the launcher sends every service's outbox onto it again, so nothing "
        "published or committed before the stop is lost (services/kit/event_replay.py); "
        "memory: topics and consumer offsets start empty (tests that need no restart).",
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
    bootstrap_admin_token: str | None = None
    caller_assertion_ttl_s: float = Field(
        default=30.0, gt=0, description="Lifetime of a signed internal caller assertion."
    )
    auth_failure_limit: int = Field(
        default=20,
        ge=1,
        description="Failed authentications one client address may make per window "
        "before the gateway answers 429.",
    )
    auth_failure_window_s: float = Field(default=60.0, gt=0)
    jwt_issuer: str | None = Field(
        default=None,
        description="OAuth2 client credentials: the issuer (``iss``) whose JWT access "
        "tokens the gateway accepts beside its opaque tokens. Unset: no JWT is accepted.",
    )
    jwt_audience: str | None = Field(
        default=None,
        description="The audience (``aud``) an access token must name: this API's "
        "identifier at the issuer. Required with ATR_JWT_ISSUER.",
    )
    jwt_jwks_url: str | None = Field(
        default=None,
        description="The issuer's JWKS URL (https, or http on loopback); the only place "
        "keys are fetched from, cached for ATR_JWT_JWKS_CACHE_S. One of this or "
        "ATR_JWT_PUBLIC_KEY_FILE with ATR_JWT_ISSUER.",
    )
    jwt_public_key_file: Path | None = Field(
        default=None,
        description="The issuer's verification key(s) as a file: a PEM public key or "
        "certificate, or a JWKS JSON document.",
    )
    jwt_algorithms: list[JwtAlgorithm] = Field(
        default_factory=lambda: list(JWT_ALGORITHMS),
        min_length=1,
        description="Signature algorithms accepted (asymmetric only; never `none` or HMAC).",
    )
    jwt_leeway_s: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description="Clock skew allowed between the issuer and the gateway when checking "
        "``exp``, ``nbf`` and ``iat``.",
    )
    jwt_jwks_cache_s: float = Field(
        default=300.0,
        gt=0,
        description="How long fetched JWKS keys are used before they are fetched again "
        "(a token naming an unknown key id fetches them sooner, at most every 30 s).",
    )
    jwt_role_claim: str = Field(
        default="role",
        min_length=1,
        description="The access-token claim naming the platform role (a string, or a "
        "list holding exactly one platform role).",
    )
    jwt_provider_claim: str = Field(
        default="provider_id",
        min_length=1,
        description="The access-token claim naming a provider token's provider id.",
    )
    relationship_grace_days: int = Field(
        default=60,
        ge=0,
        description="Days after a provider's voucher for a client ends (discharge, "
        "closure, expiry) during which it may still report the client's outcomes.",
    )
    child_restart_limit: int = Field(
        default=5,
        ge=1,
        description="Launcher: restarts of one process within child_restart_window_s "
        "after which the platform stops and names it.",
    )
    child_restart_window_s: float = Field(default=60.0, gt=0)

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
    voucher_expiry_interval_s: float = Field(
        default=60.0, description="How often the vouchers scheduler looks for expired vouchers."
    )
    claim_workers: int = Field(
        default=1, ge=0, description="Claim worker processes `atr up` starts (≤ partitions)."
    )
    payments_workers: int = Field(
        default=1,
        ge=1,
        description="Payments processes `atr up` starts (≤ partitions); they share one "
        "database and fund under the fiscal years' row locks.",
    )
    max_body_bytes: int = Field(
        default=2_000_000, description="Largest request body the gateway accepts (413 above)."
    )
    claim_batch_size: int = Field(default=500, ge=1, le=5000)
    claim_history_cache_clients: int = Field(
        default=20_000,
        ge=0,
        description="Clients whose decided history a claim worker keeps in memory.",
    )
    voucher_balance_linger_s: float = Field(
        default=0.5,
        ge=0,
        description=(
            "How long the vouchers service gathers adjudicated claims before applying them "
            "to balances (one new version and event per voucher per batch)."
        ),
    )
    claim_pending_sweep_s: float = Field(
        default=5.0,
        description="How often pending claims are re-checked against the vouchers service.",
    )
    payments_forfeit_sweep_s: float = Field(
        default=3600.0,
        gt=0,
        description="How often payments forfeits holdbacks overdue 60 days (SPEC §3.5).",
    )
    payments_ledger_check_s: float = Field(
        default=300.0,
        gt=0,
        description="How often payments checks its ledger's invariants (a metric and logs).",
    )
    claim_clock_skew_s: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description=(
            "The most the gateway's and the claim workers' clocks may differ: a batch of "
            "claims accepted this long before the replicas were last confirmed current "
            "is not confirmed again (README 'When a claim is decided')."
        ),
    )
    claim_fact_wait_s: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description=(
            "How long a claim worker waits for its replicas to catch up with facts their "
            "owners acknowledged before a batch arrived; lines still behind then pend and "
            "the sweeper decides them later (README 'When a claim is decided')."
        ),
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
        process, and the bootstrap admin token in
        production.
        """
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
        if self.environment == "production" and self.bootstrap_admin_token:
            raise ValueError(
                "ATR_BOOTSTRAP_ADMIN_TOKEN is a development convenience and is refused in "
                "production: create tokens with `atr token create`"
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

    @model_validator(mode="after")
    def _jwt_issuer_is_complete(self) -> Settings:
        """An OAuth2 issuer names the audience and exactly one source of its keys; a
        JWKS URL is https unless it is on loopback."""
        parts = (self.jwt_issuer, self.jwt_audience, self.jwt_jwks_url, self.jwt_public_key_file)
        if not any(parts):
            return self
        if not self.jwt_issuer or not self.jwt_audience:
            raise ValueError("ATR_JWT_ISSUER and ATR_JWT_AUDIENCE go together")
        if (self.jwt_jwks_url is None) == (self.jwt_public_key_file is None):
            raise ValueError(
                "ATR_JWT_ISSUER needs exactly one of ATR_JWT_JWKS_URL and ATR_JWT_PUBLIC_KEY_FILE"
            )
        if self.jwt_jwks_url is not None:
            url = urlsplit(self.jwt_jwks_url)
            loopback = url.scheme == "http" and url.hostname in LOOPBACK_HOSTS
            if url.scheme != "https" and not loopback:
                raise ValueError("ATR_JWT_JWKS_URL must be https (http only on loopback)")
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
