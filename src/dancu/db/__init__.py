"""Database backends and helpers for the Django side (the SQLite backend lives here, not in ``core``, which imports no
Django)."""
