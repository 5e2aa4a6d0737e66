"""Contact points as stored: emails lower-cased, phones as digits with a leading `+` kept,
email domains lower-cased (international names kept in Unicode). One normal form, so an
address or a number names one contact."""

from __future__ import annotations

import re

from dispatcher.domain.enums import ContactPointKind
from dispatcher.domain.errors import ValidationError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 3, 15


PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")


_DOMAIN_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$")


def normalize_email(value: str) -> str:
    """`Anna@Acme.Example ` → `anna@acme.example`; refuses what is not an address."""
    cleaned = value.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise ValidationError(f"not an email address: {value!r}")
    return cleaned


def normalize_phone(value: str) -> str:
    """`+7 (495) 123-45-67` → `+74951234567`: digits only, a leading `+` kept."""
    cleaned = value.strip()
    if not PHONE_CHARS.match(cleaned):
        raise ValidationError(
            f"not a phone number: {value!r} (digits, spaces, ( ) - . / and a leading +)"
        )
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise ValidationError(
            f"not a phone number: {value!r} "
            f"(expected {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits)"
        )
    return ("+" if cleaned.startswith("+") else "") + digits


def normalize_domain(value: str) -> str:
    """`@Acme.Example` → `acme.example`; internationalised names kept in Unicode."""
    cleaned = value.strip().lstrip("@").rstrip(".").lower()
    labels = cleaned.split(".")
    if (
        len(cleaned) > 253
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
    ):
        raise ValidationError(f"not an email domain: {value!r} (expected e.g. acme.example)")
    return cleaned


def normalize_point(kind: ContactPointKind, value: str) -> str:
    return normalize_email(value) if kind == ContactPointKind.email else normalize_phone(value)
