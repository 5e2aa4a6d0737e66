"""Console screens: one module per screen, each owning its view and its workers."""
