"""Operating dancu: health endpoints of the web side, followers' lag metrics, back-up and restore, JSON logs
(docs/operator.md)."""
