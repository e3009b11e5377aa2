"""silkroad: a source-cited observatory of Japan's diplomacy and aid in Central Asia."""

__version__ = "0.1.0"
