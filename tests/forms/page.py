"""Reading a page's form errors as a person or a screen reader meets them: the summary at the top (its heading and
each message with the field it links to) and, per field, ``aria-invalid`` and the text its ``aria-describedby``
names."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class FormErrors:
    heading: str = ""
    summary: list[tuple[str, str]] = field(default_factory=list)  # (message, link target id or "")
    invalid: dict[str, str] = field(default_factory=dict)  # input id -> the text of what aria-describedby names
    _described: dict[str, list[str]] = field(default_factory=dict)
    _texts: dict[str, str] = field(default_factory=dict)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found = FormErrors()
        self.in_summary = 0
        self.in_heading = False
        self.item: list[str] | None = None
        self.href = ""
        self.open_ids: list[tuple[str, int]] = []
        self.depth = 0
        self.buffers: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag not in ("input", "br", "img", "meta", "link"):
            self.depth += 1
        if "data-error-summary" in values:
            self.in_summary = self.depth
        if self.in_summary and tag == "h2":
            self.in_heading = True
        if self.in_summary and tag == "li":
            self.item, self.href = [], ""
        if self.in_summary and tag == "a":
            self.href = values.get("href", "").removeprefix("#")
        if values.get("aria-invalid") == "true":
            self.found._described[values.get("id", "")] = values.get("aria-describedby", "").split()
        if values.get("id") and tag not in ("input", "br", "img"):
            self.open_ids.append((values["id"], self.depth))
            self.buffers[values["id"]] = []

    def handle_endtag(self, tag: str) -> None:
        if self.in_summary and tag == "h2":
            self.in_heading = False
        if self.in_summary and tag == "li" and self.item is not None:
            self.found.summary.append((" ".join("".join(self.item).split()), self.href))
            self.item = None
        while self.open_ids and self.open_ids[-1][1] == self.depth:
            name, _ = self.open_ids.pop()
            self.found._texts[name] = " ".join("".join(self.buffers.pop(name)).split())
        if self.in_summary == self.depth:
            self.in_summary = 0
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.in_heading:
            self.found.heading += data.strip()
        if self.item is not None:
            self.item.append(data)
        for buffer in self.buffers.values():
            buffer.append(data)


def form_errors(html: str) -> FormErrors:
    reader = _Reader()
    reader.feed(html)
    found = reader.found
    found.invalid = {
        name: " ".join(found._texts.get(ref, f"<missing #{ref}>") for ref in refs)
        for name, refs in found._described.items()
    }
    return found
