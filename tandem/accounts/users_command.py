"""``tandem users create|list|set-password``: operators manage who can sign in.

A password is never taken from the command line (it would sit in the shell's history and
in every process listing): it is asked for twice on the terminal, or read from the first
line of stdin with ``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | tandem users
create ann --password-stdin``).

Exit status: 0 done; 1 refused (the message says why: a taken username, a weak password...).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from typing import TextIO

from django.core.exceptions import ValidationError

from tandem.accounts.user_services import user_create, user_password_set, users_list

REFUSED = 1


class _NoPassword(Exception):
    pass


def _password(args: argparse.Namespace, *, stdin: TextIO) -> str:
    if args.password_stdin:
        line = stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise _NoPassword("No password on stdin (one line was expected).")
        return password
    if not stdin.isatty():
        raise _NoPassword("No terminal to ask for the password on: use --password-stdin.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise _NoPassword("The two passwords differ; nothing was changed.")
    return first


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
    return list(error.messages)


def run_users_command(
    args: argparse.Namespace, *, out: TextIO, err: TextIO, stdin: TextIO | None = None
) -> int:
    stdin = stdin or sys.stdin
    if args.action == "list":
        rows = users_list()
        for row in rows:
            if args.as_json:
                out.write(json.dumps(dataclasses.asdict(row)) + "\n")
            else:
                flags = [
                    name
                    for name, on in (
                        ("inactive", not row.active),
                        ("staff", row.staff),
                        ("superuser", row.superuser),
                    )
                    if on
                ]
                google = f"google {row.google}" + (
                    f" <{row.google_email}>" if row.google_email else ""
                )
                out.write(
                    " ".join(
                        part
                        for part in (
                            row.username,
                            f"<{row.email}>" if row.email else "",
                            google,
                            *flags,
                        )
                        if part
                    )
                    + "\n"
                )
        return 0
    try:
        password = _password(args, stdin=stdin)
        if args.action == "create":
            user = user_create(
                username=args.username, email=args.email, password=password, staff=args.staff
            )
            out.write(f"Created {user.username}; they can sign in now.\n")
        else:
            user = user_password_set(username=args.username, password=password)
            out.write(f"Changed the password of {user.username}.\n")
    except _NoPassword as problem:
        err.write(f"tandem users: {problem}\n")
        return REFUSED
    except ValidationError as error:
        for message in _messages(error):
            err.write(f"tandem users: {message}\n")
        return REFUSED
    return 0
