"""Read models: plain frozen data the store builds and the widgets draw.

No database code here, so widgets can import these without pulling in SQLAlchemy.
"""
