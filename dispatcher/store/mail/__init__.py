"""Mail in the store: inbound threading, the outbox, notifications."""
