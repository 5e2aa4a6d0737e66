"""Modal dialogs, each dismissing with a typed result (or None when cancelled): one module
per ticket action, and the editor form the KB and the templates screens share. They never
touch the store themselves; what they need is handed in, and a preview that must be read
or a save that must be written is a function run in a thread worker."""
