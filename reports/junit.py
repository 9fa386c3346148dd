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
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from erpcap.types import FAIL, PASS

#: Characters XML 1.0 cannot hold, even escaped (a transaction name may contain them).
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def junit_xml(gate: Mapping[str, Any], *, suite: str = "erpcap gate") -> str:
    """The JUnit XML document of a gate.json document as a string (UTF-8, with declaration)."""
    results = [r for r in gate.get("results") or [] if isinstance(r, Mapping)]
    failures = sum(1 for r in results if r.get("status") != PASS)
    run_id = str(gate.get("run_id") or "")
    root = ET.Element(
        "testsuites",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time="0",
    )
    name = f"{suite}: {run_id}" if run_id else suite
    testsuite = ET.SubElement(
        root,
        "testsuite",
        name=_clean(name),
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time="0",
        timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        hostname=_clean(socket.gethostname()),
    )
    properties = ET.SubElement(testsuite, "properties")
    for key, value in (("run_id", run_id), ("budgets", gate.get("budgets"))):
        if value:
            ET.SubElement(properties, "property", name=key, value=_clean(value))
    for item in results:
        case = ET.SubElement(
            testsuite,
            "testcase",
            classname=_clean(item.get("selector", "")),
            name=_clean(item.get("expression", "")),
            time="0",
        )
        case.set("file", _clean(item.get("file", "")))
        if item.get("line") is not None:
            case.set("line", str(item["line"]))
        message = _clean(item.get("message", ""))
        if item.get("status") == PASS:
            out = ET.SubElement(case, "system-out")
            out.text = message
            continue
        failure = ET.SubElement(
            case,
            "failure",
            message=message,
            type="budget_breach" if item.get("status") == FAIL else "not_measured",
        )
        failure.text = _clean(
            f"{item.get('where', '')}: {item.get('selector', '')} {item.get('expression', '')}\n"
            f"measured: {item.get('measured_text', '')}\n"
            f"limit:    {item.get('op', '')} {item.get('limit_text', '')}\n"
            f"{item.get('message', '')}\n"
        )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(gate: Mapping[str, Any], path: str | Path) -> Path:
    """Write :func:`junit_xml` of ``gate`` to ``path`` (UTF-8)."""
    target = Path(path)
    target.write_text(junit_xml(gate), encoding="utf-8")
    return target
