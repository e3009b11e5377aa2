"""Streaming, idempotent importers for open datasets: IATI XML, OECD CRS, AidData, GDELT.

``silkroad import iati|crs|aiddata|gdelt FILE...`` (see ``commands.py``) writes
the rows into the built database beside the curated records, with ``origin``
set to the dataset.  ``carry_over`` keeps them across ``silkroad build``.
"""

from .common import DATASETS, DataError, ImportFailure, Summary, UsageError, carry_over, run

__all__ = ["DATASETS", "DataError", "ImportFailure", "Summary", "UsageError", "carry_over", "run"]
