"""Print one summary line per test category (cases tried, passed) from the JUnit reports of `make test`.

pytest writes .cache/reports/pytest.xml; tests/tools/ansible_test.sh copies ansible-test's unit reports there
(one per Python version, so unit cases count once per version).
"""
from __future__ import annotations

import glob
import os
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORTS = os.path.join(REPO, ".cache", "reports")

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
    reports = sorted(glob.glob(os.path.join(REPORTS, "*.xml")))
    if not reports:
        print(f"summary: no JUnit report in {REPORTS}")
        return 1
    counts: dict = {}
    cases = [case for report in reports for case in ET.parse(report).getroot().iter("testcase")]
    for case in cases:
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
