"""The ``tandem`` command. Each subcommand is a thin front for a module that does the work."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

DEFAULT_SETTINGS = "config.settings.base"


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django

    django.setup()


def _cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tandem manage", *args.rest])
    return 0


def _cmd_up(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    from tandem.up import run

    return int(run(host=args.host, port=args.port, fake_google_port=args.fake_google_port))


def _cmd_sync(args: argparse.Namespace) -> int:
    _django_setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("sync", *(["--user", args.user] if args.user else []))
    except CommandError as error:
        print(f"tandem sync: {error}", file=sys.stderr)
        return 1
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    _django_setup()
    from tandem.sync.status_report import status_report

    print(status_report())
    return 0


def _cmd_fake_google(args: argparse.Namespace) -> int:
    from tandem.fakegoogle.server import serve

    return int(
        serve(
            host=args.host,
            port=args.port,
            state_file=args.state_file,
            client_id=args.client_id,
            client_secret=args.client_secret,
            redirect_uris=args.redirect_uri,
            accounts=args.account,
        )
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description="Tandem CRM")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start web app, worker, beat and the Google emulator")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--fake-google-port", type=int, default=8765)
    up.set_defaults(handler=_cmd_up)

    manage = commands.add_parser("manage", help="Django's management commands", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_cmd_manage)

    sync = commands.add_parser("sync", help="sync now: one user, or every user who is due")
    sync.add_argument("--user", default=None, metavar="USERNAME", help="sync this user now")
    sync.set_defaults(handler=_cmd_sync)

    status = commands.add_parser("status", help="connected, due and failing users")
    status.set_defaults(handler=_cmd_status)

    fake = commands.add_parser("fake-google", help="run the Google emulator")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8765)
    fake.add_argument("--state-file", default=None, help="persist state here across restarts")
    fake.add_argument("--client-id", default=None, help="register this OAuth client")
    fake.add_argument("--client-secret", default=None)
    fake.add_argument("--redirect-uri", action="append", default=[], help="repeatable")
    fake.add_argument("--account", action="append", default=[], help="email[:Name], repeatable")
    fake.set_defaults(handler=_cmd_fake_google)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
