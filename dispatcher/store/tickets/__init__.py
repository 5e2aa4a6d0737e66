"""Tickets: writes, history, reading for the console, the queue, taking, transfer."""
