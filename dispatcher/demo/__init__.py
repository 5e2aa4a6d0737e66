"""`dispatcher admin demo`: a realistic, deterministic demo team and ticket history.

`catalogue` holds the fixed data; `generate` is the entry point: `setup` enters the team,
the directory and the plans through the store, `tickets` simulates each ticket's `life`
(with the store's SLA `clock`), and `bulk` writes the tickets and their history in batches.
"""
