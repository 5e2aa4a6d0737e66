"""Mail out: notification templates and the SMTP sender of the outbox."""
