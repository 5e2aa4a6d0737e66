"""The defaults of the settings the console's first frame needs, for `dispatcher.config`
and for the quick start (`dispatcher.console_quick`), which draws that frame before the
settings module (pydantic) is imported."""

DEFAULT_THEME = "textual-dark"
DEFAULT_REFRESH_SECONDS = 0.2  # how often the queue asks whether anybody committed
