"""Operators' writes to users: create a (non-superuser) user, set a password. Every rule
Django's admin applies is applied here too: a valid, free username, a valid email, and the
configured password validators (AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from tandem.accounts.models import GoogleConnection


@transaction.atomic
def user_create(*, username: str, email: str, password: str, staff: bool = False) -> User:
    """A new active user who can sign in; never a superuser (``createsuperuser`` is for
    that). ``staff`` lets them into /admin/ with no permission until one is granted."""
    user = User(username=username.strip(), email=email.strip(), is_staff=staff)
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if user.email:
        try:
            validate_email(user.email)
        except ValidationError as error:
            errors.setdefault("email", []).extend(error.messages)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    return user


def user_password_set(*, username: str, password: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": [f"No user is named {username!r}."]})
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": list(error.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@dataclass(frozen=True)
class UserRow:
    username: str
    email: str
    active: bool
    staff: bool
    superuser: bool
    google: str  # the connection's status: connected, needs_reconnect, ... or disconnected
    google_email: str


def users_list() -> list[UserRow]:
    connections = {
        c.user_id: c for c in GoogleConnection.objects.only("user_id", "status", "email")
    }
    rows = []
    for user in User.objects.order_by("username"):
        connection = connections.get(user.pk)
        rows.append(
            UserRow(
                username=user.username,
                email=user.email,
                active=user.is_active,
                staff=user.is_staff,
                superuser=user.is_superuser,
                google=connection.status if connection else GoogleConnection.Status.DISCONNECTED,
                google_email=connection.email if connection else "",
            )
        )
    return rows
