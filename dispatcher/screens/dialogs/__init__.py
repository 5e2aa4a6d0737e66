"""Modal dialogs for the ticket's actions: one module per dialog, each dismissing with a
typed result (or None when cancelled). They never touch the store themselves; what they
need is handed in, and a preview that must be read is a loader function run in a thread
worker."""
