"""Amounts of money as people read them: Vietnamese groups thousands with dots and writes "đ" after the amount
("16.000 đ"); English groups them with commas and writes "VND" ("16,000 VND")."""

from __future__ import annotations

#: Between the amount and its currency: a no-break space, so "16.000 đ" never breaks over two lines.
NBSP = "\u00a0"


def format_vnd(amount: int, language: str = "vi") -> str:
    """An amount in đồng with thousands separators, in the reader's language (``vi``, else English)."""
    grouped = f"{int(amount):,}"
    if language.split("-")[0].lower() == "vi":
        return grouped.replace(",", ".") + NBSP + "đ"
    return grouped + NBSP + "VND"
