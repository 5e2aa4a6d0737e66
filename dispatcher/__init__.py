"""dispatcher: a keyboard-first terminal console for a support team's helpdesk."""

__version__ = "0.1.0"
