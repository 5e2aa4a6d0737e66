"""What a bounce says went wrong, and whether it is permanent."""

from __future__ import annotations

import pytest

from dispatcher.domain.bounce import Bounce, read_bounce


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Action: failed\nStatus: 5.1.1\n", Bounce("address rejected", "5.1.1")),
        ("Status: 5.1.2 (bad destination system)", Bounce("address rejected", "5.1.2")),
        ("Status: 5.2.1", Bounce("address rejected", "5.2.1")),
        ("Status: 5.2.2", Bounce("mailbox full", "5.2.2")),
        ("Status: 5.7.1", Bounce("refused as spam or by policy", "5.7.1")),
        ("Status: 5.3.0", Bounce("undeliverable", "5.3.0")),
        ("Action: delayed\nStatus: 4.4.7", Bounce("delivery delayed", "4.4.7", permanent=False)),
        (
            "host mx said: 550 5.1.1 <a@b.example>: Recipient address rejected",
            Bounce("address rejected", "5.1.1"),
        ),
        ("452 4.2.2 mailbox full, try later", Bounce("delivery delayed", "4.2.2", permanent=False)),
        ("The mail system: user unknown", Bounce("address rejected")),
        ("Адресат не найден", Bounce("address rejected")),
        ("Sorry, the mailbox is full (quota exceeded)", Bounce("mailbox full")),
        ("Message rejected as spam", Bounce("refused as spam or by policy")),
        ("Delivery has been delayed, will retry", Bounce("delivery delayed", permanent=False)),
        ("This message was created automatically.", Bounce("undeliverable")),
    ],
)
def test_read_bounce(text: str, expected: Bounce) -> None:
    assert read_bounce(text) == expected


def test_the_label() -> None:
    assert read_bounce("Status: 5.1.1").label == "bounce: address rejected"
