"""Moved to ``paycore.adapters.persistence.tables``; this name goes once its importers move."""

from paycore.adapters.persistence.tables import Lease, SideTables

__all__ = ["Lease", "SideTables"]
