"""User agents summarised as browser and system: the common ones named right, anything else harmless."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancu.core.user_agents import Device, summarise

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (WINDOWS_CHROME, Device("Chrome", "Windows")),
        (WINDOWS_CHROME + " Edg/131.0.0.0", Device("Edge", "Windows")),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            Device("Safari", "iPhone"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            Device("Samsung Internet", "Android"),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "coc_coc_browser/130.0.0 Chrome/124.0.0.0 Safari/537.36",
            Device("Cốc Cốc", "Windows"),
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", Device("Firefox", "Linux")),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Safari/605.1.15",
            Device("Safari", "macOS"),
        ),
        ("python-requests/2.32.3", Device("", "")),
        ("", Device("", "")),
    ],
)
def test_common_user_agents(user_agent: str, device: Device) -> None:
    assert summarise(user_agent) == device


@given(st.text(max_size=300))
def test_any_text_gives_known_names_or_nothing(text: str) -> None:
    browser, system = summarise(text)
    assert browser in {"", "Edge", "Opera", "Cốc Cốc", "Zalo", "Facebook", "Samsung Internet", "UC Browser",
                       "Firefox", "Chrome", "Chromium", "Safari"}  # fmt: skip
    assert system in {"", "Windows", "iPhone", "iPad", "Android", "ChromeOS", "macOS", "Linux"}
