"""What a browser's User-Agent header says in a person's words: which browser on which system ("Chrome on
Windows"), so that the Security page lists devices, not raw strings. A summary, not a fingerprint: versions and
build details are dropped on purpose."""

from __future__ import annotations

from typing import NamedTuple

#: (marker in the header, browser name), first match wins: several browsers also announce "Chrome" and "Safari".
_BROWSERS = (
    ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("OPR/", "Opera"), ("Opera", "Opera"),
    ("coc_coc_browser/", "Cốc Cốc"), ("CocCoc", "Cốc Cốc"), ("Zalo", "Zalo"), ("FBAN", "Facebook"),
    ("FBAV", "Facebook"), ("SamsungBrowser/", "Samsung Internet"), ("UCBrowser/", "UC Browser"),
    ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"), ("Version/", "Safari"),
)  # fmt: skip
#: (marker, system name), first match wins: Android announces "Linux", iOS "like Mac OS X".
_SYSTEMS = (
    ("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"), ("Mac OS X", "macOS"), ("Linux", "Linux"),
)  # fmt: skip


class Device(NamedTuple):
    """The browser and the system a User-Agent names; either is ``""`` when it cannot be told."""

    browser: str
    system: str


def summarise(user_agent: str) -> Device:
    """The browser and system of ``user_agent`` (``Device("", "")`` for anything not a known browser)."""
    text = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in text), "")
    if browser == "Safari" and "Safari/" not in text:
        browser = ""
    system = next((name for marker, name in _SYSTEMS if marker in text), "")
    return Device(browser, system)
