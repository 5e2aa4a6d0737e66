"""Competences: what an engineer can work on, granted per user and needed per category."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.lookup import flush_or_conflict, id_or_none, one_line
from dispatcher.store.models import Category, Competence, UserCompetence
from dispatcher.store.people.users import get_user

_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _check_code(code: str) -> str:
    cleaned = code.strip().lower()
    if not _CODE.match(cleaned):
        raise ValidationError(
            f"not a competence code: {code!r} (lower-case letters, digits, '.', '_', '-')"
        )
    if cleaned.isdigit():
        raise ValidationError(f"a competence code cannot be only digits: {code!r}")
    return cleaned


def add_competence(session: Session, *, code: str, name: str | None = None) -> Competence:
    code = _check_code(code)
    if session.exec(select(Competence).where(Competence.code == code)).first() is not None:
        raise ConflictError(f"a competence {code!r} already exists")
    competence = Competence(
        code=code, name=one_line(name or code, what="a competence's name", max_length=200)
    )
    session.add(competence)
    flush_or_conflict(session, f"competence {code!r}")
    return competence


def list_competences(session: Session) -> list[Competence]:
    return list(session.exec(select(Competence).order_by(col(Competence.code))).all())


def resolve_competence(session: Session, *, ref: str | int) -> Competence:
    """A competence by code (any case), or by id when given digits."""
    if isinstance(ref, int):
        found = session.get(Competence, ref)
    else:
        found = session.exec(
            select(Competence).where(Competence.code == ref.strip().lower())
        ).first()
        if found is None and (number := id_or_none(ref)) is not None:
            found = session.get(Competence, number)
    if found is None:
        raise NotFoundError("competence", repr(ref))
    return found


def edit_competence(session: Session, *, competence_id: int, name: str) -> Competence:
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    competence.name = one_line(name, what="a competence's name", max_length=200)
    session.add(competence)
    session.flush()
    return competence


def remove_competence(session: Session, *, competence_id: int) -> int:
    """Delete a competence no category needs; returns how many users it was taken from."""
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    needed_by = session.exec(
        select(Category.name).where(Category.competence_id == competence_id).order_by(Category.name)
    ).all()
    if needed_by:
        raise ConflictError(
            f"competence {competence.code!r} is needed by categories {', '.join(needed_by)}: "
            "change them first"
        )
    links = session.exec(
        select(UserCompetence).where(UserCompetence.competence_id == competence_id)
    ).all()
    for link in links:
        session.delete(link)
    session.flush()  # the children first: the ORM does not order them
    session.delete(competence)
    flush_or_conflict(session, f"competence {competence.code!r}")
    return len(links)


def user_competences(session: Session, *, user_id: int) -> list[Competence]:
    return list(
        session.exec(
            select(Competence)
            .join(UserCompetence, col(UserCompetence.competence_id) == col(Competence.id))
            .where(UserCompetence.user_id == user_id)
            .order_by(col(Competence.code))
        ).all()
    )


def competences_by_user(session: Session) -> dict[int, list[str]]:
    """Every user's competence codes, for lists."""
    rows = session.exec(
        select(UserCompetence.user_id, Competence.code)
        .join(Competence, col(Competence.id) == col(UserCompetence.competence_id))
        .order_by(col(Competence.code))
    ).all()
    result: dict[int, list[str]] = {}
    for user_id, code in rows:
        result.setdefault(user_id, []).append(code)
    return result


def grant_competence(session: Session, *, user_id: int, competence_id: int) -> None:
    user = get_user(session, user_id=user_id)
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    if session.get(UserCompetence, (user_id, competence_id)) is not None:
        raise ConflictError(f"{user.login} already has competence {competence.code!r}")
    session.add(UserCompetence(user_id=user_id, competence_id=competence_id))
    flush_or_conflict(session, f"competence {competence.code!r} of {user.login}")


def revoke_competence(session: Session, *, user_id: int, competence_id: int) -> None:
    user = get_user(session, user_id=user_id)
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    link = session.get(UserCompetence, (user_id, competence_id))
    if link is None:
        raise ConflictError(f"{user.login} does not have competence {competence.code!r}")
    session.delete(link)
    session.flush()
