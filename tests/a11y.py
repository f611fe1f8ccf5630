"""Accessibility and phone-size checks for browser tests: axe-core (vendored from npm by ``make vendor`` into
tests/vendor/axe-core, so no Node is needed here) injected into the page, and the page's width. Any browser test can
call :func:`assert_accessible` on a Playwright page after each step."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
#: Viewports of the walks: a small common phone (360 x 780 CSS pixels) and a laptop.
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
#: What fails a page: axe's two highest impact levels (moderate and minor findings are reported, not fatal).
BLOCKING = ("serious", "critical")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;undefined"


def axe_violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG 2.x A/AA rules (and its best practices) on the page as it is now, at the
    given impact levels: each with its rule id, impact, help text and the offending elements."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script>: the pages' Content-Security-Policy (scripts from
        # 'self' only) stays on, as a citizen's browser has it.
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations'],
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))}));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def sideways_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations)


def assert_accessible(page: Any) -> None:
    """No serious or critical axe violation, a language on the page, and no sideways scroll at the page's size."""
    where = page.url
    violations = axe_violations(page)
    assert not violations, f"{where}:\n{describe(violations)}"
    assert page.evaluate("() => document.documentElement.lang") in {"vi", "en"}, where
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{where} scrolls sideways by {overflow}px at {page.viewport_size}"
