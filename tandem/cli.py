"""The ``tandem`` command. Each subcommand is a thin front for a module that does the work."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

DEFAULT_SETTINGS = "config.settings.base"


def _django_setup(*, for_scripts: bool = False) -> None:
    """``for_scripts``: a command scripts read (sync, status, users) logs warnings and errors
    only, unless LOG_LEVEL says otherwise, so stderr says what went wrong instead of every
    Google request and app start (its answer is on stdout)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django
    from django.conf import settings

    if for_scripts and not settings.configured:  # called in-process, settings are read
        os.environ.setdefault("LOG_LEVEL", "WARNING")
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
    _django_setup(for_scripts=True)
    from tandem.sync.run_command import run_sync_command

    return run_sync_command(
        username=args.username,
        as_json=args.as_json,
        answer=args.answer or "",
        out=sys.stdout,
        err=sys.stderr,
    )


def _cmd_status(args: argparse.Namespace) -> int:
    _django_setup(for_scripts=True)
    from tandem.sync.status_report import status_json, status_report

    print(status_json() if args.as_json else status_report())
    return 0


def _cmd_users(args: argparse.Namespace) -> int:
    _django_setup(for_scripts=True)
    from tandem.accounts.users_command import run_users_command

    return run_users_command(args, out=sys.stdout, err=sys.stderr)


def _cmd_fake_google(args: argparse.Namespace) -> int:
    from tandem.fakegoogle.server import serve

    return int(
        serve(
            host=args.host,
            port=args.port,
            state_file=args.state_file,
            client_id=args.client_id,
            # From the environment, never argv: `ps` shows a command line to everyone.
            client_secret=os.environ.get("FAKE_GOOGLE_CLIENT_SECRET"),
            redirect_uris=args.redirect_uri,
            accounts=args.account,
        )
    )


# Exit status of a usage error. argparse's own (2) would read as "needs attention" to a
# script calling `tandem sync`, so every usage error exits 64 (EX_USAGE, sysexits.h).
USAGE_ERROR = 64
SYNC_EXIT_CODES = """exit status (the first that applies to any user, in this order):
  1  a run failed
  2  a run needs attention (e.g. the mass-delete breaker's question)
  3  another sync of the user was running; nothing was done
  4  the user cannot be synced: unknown, not connected, settings not saved, or
     nothing waits for that answer
  0  every run succeeded (also when no user was due)
 64  wrong command-line options"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def add_sync_arguments(parser: Any) -> None:
    """The options of ``tandem sync`` and ``tandem manage sync``."""
    parser.add_argument(
        "--user", dest="username", default=None, metavar="USERNAME", help="sync this user now"
    )
    parser.add_argument(
        "--json",
        dest="as_json",
        action="store_true",
        help="print one JSON object per user (status, counts, errors, conflicts, requests)",
    )
    answers = parser.add_mutually_exclusive_group()
    answers.add_argument(
        "--apply-deletions",
        dest="answer",
        action="store_const",
        const="apply",
        help="answer the mass-delete question: let the held deletions through (with --user)",
    )
    answers.add_argument(
        "--keep-meetings",
        dest="answer",
        action="store_const",
        const="keep",
        help="answer the mass-delete question: keep every meeting (with --user)",
    )


def _add_users_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = actions.add_parser("create", help="a new (non-superuser) user")
    create.add_argument("username")
    create.add_argument("--email", default="")
    create.add_argument("--staff", action="store_true", help="may sign in to /admin/")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else it is asked for)",
    )
    actions.add_parser("list", help="every user").add_argument(
        "--json", dest="as_json", action="store_true", help="one JSON object per user"
    )
    password = actions.add_parser("set-password", help="set a user's password")
    password.add_argument("username")
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else it is asked for)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tandem", description="Tandem CRM")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    up = commands.add_parser("up", help="start web app, worker, beat and the Google emulator")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000, help="the web app's port (8000)")
    up.add_argument(
        "--fake-google-port", type=int, default=8765, help="the Google emulator's port (8765)"
    )
    up.set_defaults(handler=_cmd_up)

    manage = commands.add_parser("manage", help="Django's management commands", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_cmd_manage)

    sync = commands.add_parser(
        "sync",
        help="sync now: one user, or every user who is due",
        description=SYNC_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_sync_arguments(sync)
    sync.set_defaults(handler=_cmd_sync)

    status = commands.add_parser("status", help="connected, due and failing users")
    status.add_argument("--json", dest="as_json", action="store_true", help="as one JSON object")
    status.set_defaults(handler=_cmd_status)

    users = commands.add_parser("users", help="operators: create, list and change users")
    _add_users_arguments(users)
    users.set_defaults(handler=_cmd_users)

    fake = commands.add_parser("fake-google", help="run the Google emulator")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8765)
    fake.add_argument("--state-file", default=None, help="persist state here across restarts")
    fake.add_argument(
        "--client-id",
        default=None,
        help="register this OAuth client (secret: FAKE_GOOGLE_CLIENT_SECRET in the environment)",
    )
    # The client's secret comes from FAKE_GOOGLE_CLIENT_SECRET in the environment.
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
