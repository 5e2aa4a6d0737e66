"""`dispatcher admin demo`"""


def demo() -> None:
    """Fill the database with a realistic demo team and history."""
