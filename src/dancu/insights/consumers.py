"""The insights app's consumer: the roll-ups of the scoreboard kept from the event log and the other sources
(:mod:`dancu.insights.rollups`), each from its own offset. Run by ``dancu follow`` with the other apps' consumers,
or alone by ``dancu insights follow``."""

from __future__ import annotations

from dancu.insights.rollups import follow_all


def follow() -> int:
    """Apply what is new in every source; returns how many rows were read."""
    return sum(follow_all().values())
