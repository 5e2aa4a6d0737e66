"""NPS answers: a client contact's 0-10 "would you recommend us", kept as `rating` rows of
kind `nps` (client-wide, no ticket). The pulse that mails the question and reads the
answers back is a later step; this is where its answers, or ones taken by phone, go."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from dispatcher.domain.enums import RatingKind
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.store.models import Client, Contact, Rating


def record_nps_answer(
    session: Session,
    *,
    client_id: int,
    score: int,
    now: datetime,
    contact_id: int | None = None,
    comment: str = "",
) -> Rating:
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValidationError(f"an NPS answer is a whole number from 0 to 10, not {score!r}")
    if session.get(Client, client_id) is None:
        raise NotFoundError("client", client_id)
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError("contact", contact_id)
        if contact.client_id != client_id:
            raise ValidationError(f"contact {contact_id} does not belong to client {client_id}")
    answer = Rating(
        client_id=client_id,
        contact_id=contact_id,
        kind=RatingKind.nps,
        score=score,
        comment=comment[:2000],
        at=now,
    )
    session.add(answer)
    session.flush()
    return answer
