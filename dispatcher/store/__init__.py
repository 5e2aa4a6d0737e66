"""The store: SQLModel tables, the engine and session factory, repository functions.

Never imports Textual. Repository functions are keyword-only and take the session.
"""
