"""Event extraction from kk/ru/en documents (see docs/extraction.md)."""
