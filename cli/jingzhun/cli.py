"""``jingzhun`` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from jzkit import logs
from jzkit.settings import get_common_settings


def _serve(app: object, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)  # type: ignore[arg-type]


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the databases of the named services (all when none named)."""
    from jingzhun.catalog import SERVICES
    from jingzhun.migrations import migrate

    unknown = sorted(set(args.services) - set(SERVICES))
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    migrate(args.services or None)
    return 0


def cmd_seed(_: argparse.Namespace) -> int:
    """Load the demo world into an empty registry."""
    from jingzhun.embedded import seed

    print(f"seeded {seed()} demo households")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Embedded mode: migrate, seed if empty, serve everything on one port."""
    from jingzhun import embedded
    from jingzhun.migrations import migrate

    os.environ["JZ_MODE"] = "embedded"
    get_common_settings.cache_clear()
    common = get_common_settings()
    common.data_dir.mkdir(parents=True, exist_ok=True)
    logs.configure("jingzhun", common.log_level, as_json=common.log_json)
    migrate()
    created = embedded.seed()
    if created:
        print(f"seeded {created} demo households")
    print(embedded.banner(args.host, args.port), flush=True)
    _serve(embedded.build(), args.host, args.port)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Stack mode: serve one service (or the gateway) as its own process."""
    common = get_common_settings()
    logs.configure(args.name, common.log_level, as_json=common.log_json)
    if args.name == "gateway":
        from gateway.app import create_app
        from gateway.settings import get_settings

        gw = get_settings()
        _serve(create_app(gw, common), gw.host, gw.port)
        return 0
    from jingzhun.catalog import SERVICES

    spec = SERVICES[args.name]
    settings = spec.settings()
    _serve(spec.create_app(settings=settings, common=common), settings.host, settings.port)
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    """Stack mode: publish one service's outbox to RabbitMQ."""
    from jingzhun.relay import run_relay

    common = get_common_settings()
    logs.configure(f"{args.name}-relay", common.log_level, as_json=common.log_json)
    asyncio.run(run_relay(args.name, args.metrics_port))
    return 0


def cmd_consume(args: argparse.Namespace) -> int:
    """Stack mode: feed one service's RabbitMQ queue into its inbox-guarded handler."""
    from jingzhun.consume import run_consumer

    common = get_common_settings()
    logs.configure(f"{args.name}-consumer", common.log_level, as_json=common.log_json)
    asyncio.run(run_consumer(args.name, args.metrics_port))
    return 0


def cmd_stack(_: argparse.Namespace) -> int:
    """Every process of stack mode, on PostgreSQL and RabbitMQ on localhost."""
    from jingzhun.stack import run_stack

    return run_stack(get_common_settings().data_dir)


def cmd_token(args: argparse.Namespace) -> int:
    """Sign a token for a demo user with the configured key (the operator's way in before OIDC)."""
    from gateway.auth_routes import demo_users
    from jzkit.auth import issue_token

    if args.stack:
        from jingzhun.stack import stack_environment

        os.environ.update(stack_environment(get_common_settings().data_dir))
        get_common_settings.cache_clear()
    user = next((u for u in demo_users() if u.username == args.username), None)
    if user is None:
        names = ", ".join(u.username for u in demo_users())
        print(f"unknown user {args.username!r}; one of: {names}", file=sys.stderr)
        return 2
    print(issue_token(get_common_settings(), user.username, user.role, user.jurisdiction))
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    """Inspect or replay a consumer's dead-letter queue."""
    from aiormq.exceptions import ChannelNotFoundEntity

    from jzkit.messaging.rabbit import dead_letters, replay_dead_letters

    common = get_common_settings()
    try:
        if args.action == "replay":
            count = asyncio.run(replay_dead_letters(common.broker_url, common.exchange, args.queue))
            print(f"replayed {count} message(s) from {args.queue}.dlq")
            return 0
        for letter in asyncio.run(dead_letters(common.broker_url, args.queue, args.limit)):
            print(f"{letter.message_id}\t{letter.event_type}\t{letter.routing_key}\t{letter.reason}")
    except ChannelNotFoundEntity:
        print(f"no dead-letter queue {args.queue}.dlq on the broker", file=sys.stderr)
        return 2
    return 0


def cmd_asyncapi(args: argparse.Namespace) -> int:
    """Write the AsyncAPI document of every event contract."""
    import json

    from jzkit.contracts.catalog import asyncapi

    text = json.dumps(asyncapi(), ensure_ascii=False, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (sub-commands register themselves here)."""
    from jingzhun import audit_cmds, registry_cmds
    from jingzhun.catalog import SERVICES

    top = argparse.ArgumentParser(prog="jingzhun", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("migrate", help="run Alembic migrations (creates PostgreSQL databases if missing)")
    p.add_argument("services", nargs="*", help=f"any of: {', '.join(SERVICES)}")
    p.set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="load the demo world into an empty registry").set_defaults(func=cmd_seed)
    p = sub.add_parser("run", help="embedded mode on one port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("serve", help="serve one service or the gateway (stack mode)")
    p.add_argument("name", choices=[*SERVICES, "gateway"])
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("relay", help="publish a service's outbox to RabbitMQ")
    p.add_argument("name", choices=list(SERVICES))
    p.add_argument("--metrics-port", type=int, default=None)
    p.set_defaults(func=cmd_relay)
    p = sub.add_parser("consume", help="consume a service's queue from RabbitMQ (stack mode)")
    p.add_argument("name", choices=[name for name, spec in SERVICES.items() if spec.consumes])
    p.add_argument("--metrics-port", type=int, default=None)
    p.set_defaults(func=cmd_consume)
    sub.add_parser("stack", help="all processes against PostgreSQL and RabbitMQ").set_defaults(func=cmd_stack)
    p = sub.add_parser("token", help="print a bearer token for a demo user, signed with the configured key")
    p.add_argument("username")
    p.add_argument(
        "--stack", action="store_true", help="use the keys `make stack` generated in var/stack.env"
    )
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("dlq", help="list or replay a consumer's dead-letter queue (stack mode)")
    p.add_argument("action", choices=["list", "replay"])
    p.add_argument("queue", help="the consumer's queue name (its dead letters are in <queue>.dlq)")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_dlq)
    p = sub.add_parser("asyncapi", help="write the AsyncAPI document of the event contracts")
    p.add_argument("--out", default="docs/asyncapi.json", help="file to write, or - for stdout")
    p.set_defaults(func=cmd_asyncapi)
    registry_cmds.register(sub)
    audit_cmds.register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
