"""Print one summary line per reliability category (cases tried, passed) at the end of the test run.

(tests/tools/summary.py prints the same categories from the JUnit report for the whole CI run.)
"""
from __future__ import annotations

CATEGORIES = [("idempotence", "test_idempotence.py"), ("faults", "test_faults.py"),
              ("bad-input", "test_bad_input.py"), ("secrets", "test_secrets.py"), ("tls", "test_tls.py")]


def _category(nodeid):
    if "reliability/" not in nodeid:
        return None
    return next((cat for cat, key in CATEGORIES if key in nodeid), None)


def pytest_terminal_summary(terminalreporter):
    passed, failed, skipped = {}, {}, {}
    for outcome, bucket in (("passed", passed), ("failed", failed), ("error", failed), ("skipped", skipped)):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "") or ""
            category = _category(nodeid)
            if category is None or (outcome == "passed" and getattr(report, "when", "call") != "call"):
                continue
            bucket.setdefault(category, set()).add(nodeid)
    categories = [cat for cat, unused in CATEGORIES if cat in passed or cat in failed or cat in skipped]
    if not categories:
        return
    terminalreporter.section("reliability summary")
    for category in categories:
        bad = failed.get(category, set())
        good = passed.get(category, set()) - bad
        tried = good | bad
        skip = skipped.get(category, set()) - tried
        terminalreporter.write_line("reliability %s: %d tried, %d passed, %d skipped"
                                    % (category, len(tried), len(good), len(skip)))
