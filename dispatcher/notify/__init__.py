"""Mail out: the SMTP sender of the outbox (the notification texts are in the domain)."""
