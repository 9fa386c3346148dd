"""JUnit XML of a gate: one ``<testcase>`` per budget expression.

``classname`` is the metric selector (``http_req_duration{name:create_sales_order}``),
``name`` the expression (``p(95)<1000``); a breached or unmeasured budget carries a
``<failure>`` whose message gives the measured value and the limit. CI systems (GitLab,
Jenkins, GitHub test reporters) show each budget as a test.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from erpcap.analysis.budgets import FAIL, GateResult, format_value

#: Characters XML 1.0 cannot hold, even escaped (a transaction name may contain them).
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def junit_xml(result: GateResult, *, suite: str = "erpcap gate") -> str:
    """The JUnit XML document of ``result`` as a string (UTF-8, with declaration)."""
    failures = len(result.breaches)
    root = ET.Element(
        "testsuites",
        name=suite,
        tests=str(len(result.results)),
        failures=str(failures),
        errors="0",
        time="0",
    )
    name = f"{suite}: {result.run_id}" if result.run_id else suite
    testsuite = ET.SubElement(
        root,
        "testsuite",
        name=_clean(name),
        tests=str(len(result.results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time="0",
        timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        hostname=_clean(socket.gethostname()),
    )
    properties = ET.SubElement(testsuite, "properties")
    for key, value in (("run_id", result.run_id), ("budgets", result.budgets_path)):
        if value:
            ET.SubElement(properties, "property", name=key, value=_clean(value))
    for item in result.results:
        threshold = item.threshold
        case = ET.SubElement(
            testsuite,
            "testcase",
            classname=_clean(threshold.selector),
            name=_clean(threshold.expression),
            time="0",
        )
        case.set("file", _clean(threshold.path))
        if threshold.line is not None:
            case.set("line", str(threshold.line))
        if item.passed:
            out = ET.SubElement(case, "system-out")
            out.text = _clean(item.message)
            continue
        failure = ET.SubElement(
            case,
            "failure",
            message=_clean(item.message),
            type="budget_breach" if item.status == FAIL else "not_measured",
        )
        failure.text = _clean(
            f"{threshold.where}: {threshold.selector} {threshold.expression}\n"
            f"measured: {format_value(threshold, item.measured)}\n"
            f"limit:    {threshold.op} {format_value(threshold, item.limit)}\n"
            f"{item.message}\n"
        )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: GateResult, path: str | Path) -> Path:
    """Write :func:`junit_xml` of ``result`` to ``path`` (UTF-8)."""
    target = Path(path)
    target.write_text(junit_xml(result), encoding="utf-8")
    return target
