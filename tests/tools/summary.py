"""Print one summary line per test category (cases tried, passed) from the pytest JUnit report."""
from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(REPO, ".cache", "reports", "pytest.xml")

# (category, substring of the test's classname/file) in priority order: first match wins.
CATEGORIES = [
    ("idempotence", "reliability.test_idempotence"),
    ("faults", "reliability.test_faults"),
    ("bad-input", "reliability.test_bad_input"),
    ("secrets", "reliability.test_secrets"),
    ("tls", "reliability.test_tls"),
    ("reliability-other", "reliability."),
    ("simulator", "simulator."),
    ("integration", "integration."),
    ("molecule", "molecule"),
    ("unit", "unit."),
]


def main() -> int:
    if not os.path.exists(REPORT):
        print(f"summary: no pytest report at {REPORT}")
        return 1
    counts: dict = {}
    for case in ET.parse(REPORT).getroot().iter("testcase"):
        name = case.get("classname", "")
        category = next((cat for cat, key in CATEGORIES if key in name), "other")
        tried, passed, skipped = counts.get(category, (0, 0, 0))
        outcome = {child.tag for child in case}
        if "skipped" in outcome:
            skipped += 1
        else:
            tried += 1
            if not outcome & {"failure", "error"}:
                passed += 1
        counts[category] = (tried, passed, skipped)
    ok = True
    for category in [cat for cat, key in CATEGORIES] + ["other"]:
        if category in counts:
            tried, passed, skipped = counts[category]
            ok = ok and tried == passed
            print(f"summary: {category}: {tried} tried, {passed} passed, {skipped} skipped")
    total = [sum(v[i] for v in counts.values()) for i in range(3)]
    print(f"summary: total: {total[0]} tried, {total[1]} passed, {total[2]} skipped")
    return 0 if ok and total[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
