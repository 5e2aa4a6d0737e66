"""Pure domain logic: no I/O, no database, no UI. Time comes in through an injected clock."""
