"""`tandem users create|list|set-password`: operators add people who can sign in, without a
password ever on the command line (issue 16)."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.cli import main

STRONG = "correct horse battery staple 42"


class Terminal(io.StringIO):
    """A stdin that says it is a terminal, as an operator's shell is."""

    def isatty(self) -> bool:
        return True


def _signs_in(username: str, password: str) -> bool:
    """Through the sign-in page, as a person does."""
    answer = Client().post("/login/", {"username": username, "password": password})
    return answer.status_code == 302 and answer["Location"] == "/"


def _users(argv: list[str], stdin: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", stdin)
    return main(["users", *argv])


def test_create_reads_the_password_from_stdin_and_the_user_signs_in(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _users(
        ["create", "erin", "--email", "erin@example.com", "--password-stdin"],
        io.StringIO(STRONG + "\n"),
        monkeypatch,
    )
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out == "Created erin; they can sign in now.\n"
    assert STRONG not in captured.out + captured.err
    erin = User.objects.get(username="erin")
    assert (erin.email, erin.is_active, erin.is_staff, erin.is_superuser) == (
        "erin@example.com",
        True,
        False,
        False,
    )
    assert _signs_in("erin", STRONG)


def test_create_asks_twice_on_a_terminal(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert _users(["create", "finn"], Terminal(), monkeypatch) == 0
    assert _signs_in("finn", STRONG)


def test_two_different_answers_change_nothing(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([STRONG, STRONG + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert _users(["create", "finn"], Terminal(), monkeypatch) == 1
    assert "The two passwords differ" in capsys.readouterr().err
    assert not User.objects.filter(username="finn").exists()


def test_without_a_terminal_the_password_must_come_on_stdin(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _users(["create", "gus"], io.StringIO(""), monkeypatch) == 1
    assert "use --password-stdin" in capsys.readouterr().err
    assert not User.objects.filter(username="gus").exists()


def test_a_password_on_the_command_line_is_not_an_option(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _users(["create", "gus", "--password", STRONG], io.StringIO(""), monkeypatch)
    assert stopped.value.code == 64
    assert not User.objects.filter(username="gus").exists()


@pytest.mark.parametrize(
    ("argv", "password", "message"),
    [
        (["create", "hal"], "12345678", "This password is entirely numeric."),
        (["create", "hal"], "short", "This password is too short."),
        (["create", "bad name!"], STRONG, "username: Enter a valid username."),
        (["create", "hal", "--email", "not-an-email"], STRONG, "Enter a valid email address."),
        (["create", "ivy"], STRONG, "username: A user with that username already exists."),
    ],
)
def test_what_django_refuses_is_refused_with_its_message(
    db: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    password: str,
    message: str,
) -> None:
    User.objects.create_user("ivy", password=STRONG)
    code = _users([*argv, "--password-stdin"], io.StringIO(password + "\n"), monkeypatch)
    assert code == 1
    assert message in capsys.readouterr().err
    assert User.objects.count() == 1


def test_set_password_changes_it_and_checks_it(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    User.objects.create_user("jo", password=STRONG)
    new = "another long passphrase 7"
    assert _users(["set-password", "jo", "--password-stdin"], io.StringIO(new), monkeypatch) == 0
    assert _signs_in("jo", new)
    assert not _signs_in("jo", STRONG)
    assert _users(["set-password", "jo", "--password-stdin"], io.StringIO("1"), monkeypatch) == 1
    assert _signs_in("jo", new)
    assert (
        _users(["set-password", "nobody", "--password-stdin"], io.StringIO(new), monkeypatch) == 1
    )
    assert "No user is named 'nobody'." in capsys.readouterr().err


def test_list_shows_every_user_with_their_google_connection(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    User.objects.create_user("kim", email="kim@example.com", password=STRONG)
    User.objects.create_superuser("root", password=STRONG)
    assert _users(["list", "--json"], io.StringIO(""), monkeypatch) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {
            "username": "kim",
            "email": "kim@example.com",
            "active": True,
            "staff": False,
            "superuser": False,
            "google": "disconnected",
            "google_email": "",
        },
        {
            "username": "root",
            "email": "",
            "active": True,
            "staff": True,
            "superuser": True,
            "google": "disconnected",
            "google_email": "",
        },
    ]
    assert _users(["list"], io.StringIO(""), monkeypatch) == 0
    assert capsys.readouterr().out == (
        "kim <kim@example.com> google disconnected\nroot google disconnected staff superuser\n"
    )
