"""`dispatcher admin demo`: a realistic, deterministic demo team and ticket history.

`dispatcher.demo.catalogue` holds the fixed data; `dispatcher.demo.generate` writes it.
"""
