"""Replies: templates, rendering them against a ticket, composing and sending."""
