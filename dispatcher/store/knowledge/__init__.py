"""The knowledge base: articles and full-text search."""
