"""The ticket reference in a mail subject, `[#1042]`: how an answer finds its ticket.

Every subject sent about a ticket carries it (`subject_with_ref`), so a client's answer
threads back even from a mail client that drops the thread headers; an inbound subject is
searched for it (`refs_in_subject`) when its thread headers name no ticket.
"""

from __future__ import annotations

import re

_REF = re.compile(r"\[#(\d{1,12})\]")


def refs_in_subject(subject: str) -> list[int]:
    """The ticket numbers the subject names as `[#N]`, in order, each once."""
    return list(dict.fromkeys(int(match.group(1)) for match in _REF.finditer(subject)))


def subject_with_ref(subject: str, ticket_id: int) -> str:
    """The subject on one line, carrying `[#N]`: put in front unless it is there already."""
    subject = " ".join(subject.split())
    if ticket_id in refs_in_subject(subject):
        return subject
    return f"[#{ticket_id}] {subject}".strip()
