"""The lean verification gateway: Starlette + msgspec, reads the projection, appends the access ledger.

Imports ``dancu.core`` and its own modules only, never Django or the registry's tables.
"""
