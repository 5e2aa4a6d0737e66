"""`[#N]` in a mail subject: put in what we send, found in what comes in."""

from __future__ import annotations

import pytest

from dispatcher.domain.ticket_ref import refs_in_subject, subject_with_ref


@pytest.mark.parametrize(
    ("subject", "ticket_id", "expected"),
    [
        ("VPN is down", 1042, "[#1042] VPN is down"),
        ("[#1042] VPN is down", 1042, "[#1042] VPN is down"),
        ("Re: [#1042] VPN is down", 1042, "Re: [#1042] VPN is down"),
        ("Заявка [#1042] принята", 1042, "Заявка [#1042] принята"),
        ("Re:\n  VPN   is down ", 1042, "[#1042] Re: VPN is down"),
        ("", 7, "[#7]"),
        ("   ", 7, "[#7]"),
        ("[#104] VPN", 1042, "[#1042] [#104] VPN"),  # another ticket's ref is not ours
        ("[#10420] VPN", 1042, "[#1042] [#10420] VPN"),
        ("#1042 VPN", 1042, "[#1042] #1042 VPN"),  # not bracketed: not a ref
        ("[1042] VPN", 1042, "[#1042] [1042] VPN"),
    ],
)
def test_subject_with_ref(subject: str, ticket_id: int, expected: str) -> None:
    assert subject_with_ref(subject, ticket_id) == expected
    assert ticket_id in refs_in_subject(expected)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("RE: [#1] VPN is down", [1]),
        ("Out of Office: [#1042] VPN is down", [1042]),
        ("Re: [#3] merged into [#5], see [#3]", [3, 5]),
        ("[#01042] leading zeros", [1042]),
        ("no reference", []),
        ("#1042 without brackets", []),
        ("[# 1042] [#1042x] [#] [#-1]", []),
        ("[#1234567890123] too long", []),
        ("[#123456789012] twelve digits", [123456789012]),
    ],
)
def test_refs_in_subject(subject: str, expected: list[int]) -> None:
    assert refs_in_subject(subject) == expected
