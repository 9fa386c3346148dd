"""``jmeter-jtl``: JMeter's results (a .jtl file, CSV or XML), one ``requests`` row per sample.

CSV needs its header line (JMeter writes it unless ``jmeter.save.saveservice.print_field_names``
is false) with at least ``timeStamp``, ``elapsed`` and ``label``; the other documented
columns may come in any subset and order, separated by ``,`` (or tab, ``;``, ``|``). XML is
``<testResults>`` with ``<httpSample>`` or ``<sample>`` elements; only the top-level samples
are rows: the sub-samples JMeter nests in them (redirects, embedded resources, a transaction
controller's children) are part of their parent's time and are not counted again.

============================  ===========================================================
requests column               from (CSV column / XML attribute)
============================  ===========================================================
``start``, ``intended_start``  ``timeStamp`` / ``ts``: epoch milliseconds, or a date as
                               ``jmeter.save.saveservice.timestamp_format`` wrote it (read in
                               the ``tz`` option's zone, UTC by default)
``latency_us``, ``service_us`` ``elapsed`` / ``t`` (ms) × 1000
``name``                       ``label`` / ``lb``
``ok``                         ``success`` / ``s`` (without it: a 2xx or 3xx status)
``status_code``                ``responseCode`` / ``rc``; 0 when not a number
                               ("Non HTTP response code: …")
``error``                      when failed: the failure message (``failureMessage``, or an
                               XML ``<assertionResult>``'s), else ``responseMessage`` / ``rm``
``users``                      ``allThreads`` / ``na``, else ``grpThreads`` / ``ng``
``worker``, ``user_class``     ``threadName`` / ``tn`` (``Orders 1-3``), and its thread group
                               (``Orders``)
``bytes``                      ``bytes`` / ``by``
``group``, ``method``          ``other`` and "" (a JTL has neither)
============================  ===========================================================

A row that does not parse is skipped and counted with its reason and first file:line. The
active-thread count gives the load steps (:mod:`.ladder`); run.json gets the first and last
sample's times and the target host of the samples' URLs.

>>> _thread_group("Order entry 1-12"), _thread_group("setUp Thread Group 2-1")
('Order entry', 'setUp Thread Group')
>>> _status("200"), _status("Non HTTP response code: java.net.ConnectException")
(200, 0)
"""

from __future__ import annotations

import csv
import itertools
import re
import xml.parsers.expat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from erpcap.collectors.importers.base import Importer, ImportReport, open_lines
from erpcap.collectors.importers.ladder import UserTimeline, write_steps
from erpcap.errors import BadInput
from erpcap.redact import redact_url
from erpcap.rundir import PartWriter, RunDir, iso

#: Rows buffered before they are written as one part file (a big JTL streams through).
BATCH_ROWS = 100_000

_REQUIRED = ("timeStamp", "elapsed", "label")
#: JMeter's documented CSV columns: read, or knowingly left aside (no warning).
_KNOWN = (
    *_REQUIRED,
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Latency",
    "IdleTime",
    "Connect",
    "Hostname",
    "Filename",
    "Encoding",
    "SampleCount",
    "ErrorCount",
)
_CANONICAL = {name.lower(): name for name in _KNOWN}
#: XML sample attributes by the CSV column they hold.
_XML_ATTRIBUTES = {
    "ts": "timeStamp",
    "t": "elapsed",
    "lb": "label",
    "rc": "responseCode",
    "rm": "responseMessage",
    "tn": "threadName",
    "s": "success",
    "by": "bytes",
    "na": "allThreads",
    "ng": "grpThreads",
}
_SAMPLES = ("httpSample", "sample")
_DELIMITERS = (",", "\t", ";", "|")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_THREAD_NUMBER = re.compile(r"\s*\d+-\d+$")


def _thread_group(thread: str) -> str:
    """The thread group of a JMeter thread name (``Orders 1-3`` → ``Orders``)."""
    return _THREAD_NUMBER.sub("", thread).strip() or thread


def _status(code: str) -> int:
    """An HTTP status from ``responseCode``; 0 for anything that is not one."""
    code = code.strip()
    return int(code) if code.isdigit() and len(code) <= 3 else 0


def _parse_tz(text: str) -> tzinfo:
    """The ``tz`` option: ``UTC``, an offset (``+08:00``) or a zone name (``Asia/Shanghai``)."""
    value = text.strip()
    offset = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})", value)
    if offset:
        sign = 1 if offset[1] == "+" else -1
        delta = timedelta(hours=int(offset[2]), minutes=int(offset[3]))
        return timezone(sign * delta)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(
            f"{text!r} is not a time zone",
            hint="write UTC, an offset such as +08:00, or a name such as Asia/Shanghai",
        ) from exc


class _Sink:
    """Where parsed samples go: the request writer, the user timeline, the run's span."""

    def __init__(self, run: RunDir, report: ImportReport, tz: tzinfo | None) -> None:
        self.writer: PartWriter = run.part_writer("requests")
        self.report = report
        self.tz = tz
        self.timeline = UserTimeline()
        self.first_us: int | None = None  # epoch microseconds of the first start
        self.last_us: int | None = None  # … and of the last end
        self.hosts: Counter[str] = Counter()
        self.formatted_dates = False
        self.has_users = False
        self._rows: list[dict[str, Any]] = []
        self._groups: dict[str, str] = {}

    def _micros(self, text: str) -> int | None:
        """Epoch microseconds of a timeStamp: epoch milliseconds, or a date."""
        text = text.strip()
        if text.isdigit():
            return int(text) * 1000
        try:
            when = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            return None
        self.formatted_dates = True
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz or UTC)
        return (when - _EPOCH) // timedelta(microseconds=1)

    def _group(self, thread: str) -> str:
        group = self._groups.get(thread)
        if group is None:
            group = self._groups[thread] = _thread_group(thread) if thread else "jmeter"
        return group

    def add(self, fields: Mapping[str, str], path: Path, line: int) -> None:
        """One sample (its columns by JMeter's CSV names); a bad one is counted as a skip."""
        start_us = self._micros(fields["timeStamp"])
        if start_us is None:
            self.report.skip("timeStamp is neither epoch milliseconds nor a date", path, line)
            return
        elapsed = fields["elapsed"].strip()
        if not elapsed.isdigit():
            self.report.skip("elapsed is not a whole number of milliseconds", path, line)
            return
        status = _status(fields.get("responseCode", ""))
        success = fields.get("success")
        ok = success.strip().lower() == "true" if success is not None else 200 <= status < 400
        error = None
        if not ok:
            error = fields.get("failureMessage") or fields.get("responseMessage") or None
            error = redact_url(error) if error else None
        users_text = fields.get("allThreads") or fields.get("grpThreads") or ""
        users = int(users_text) if users_text.strip().isdigit() else 0
        thread = fields.get("threadName", "")
        size = fields.get("bytes", "").strip()
        latency_us = int(elapsed) * 1000
        start = _EPOCH + timedelta(microseconds=start_us)
        self._rows.append(
            {
                "intended_start": start,
                "start": start,
                "name": fields["label"],
                "group": "other",
                "user_class": self._group(thread),
                "method": "",
                "status_code": status,
                "ok": ok,
                "latency_us": latency_us,
                "service_us": latency_us,
                "bytes": int(size) if size.isdigit() else 0,
                "users": users,
                "worker": thread,
                "error": error,
                "paced": False,
            }
        )
        self.report.records += 1
        if users_text:
            self.has_users = True
            self.timeline.add(start_us // 1_000_000, users)
        end_us = start_us + latency_us
        if self.first_us is None or start_us < self.first_us:
            self.first_us = start_us
        if self.last_us is None or end_us > self.last_us:
            self.last_us = end_us
        url = fields.get("URL", "")
        if "://" in url:  # the scheme and host: http://erp:8080
            slash = url.find("/", url.find("://") + 3)
            self.hosts[url if slash < 0 else url[:slash]] += 1
        if len(self._rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one part file."""
        rows, self._rows = self._rows, []
        self.writer.extend(rows)
        self.writer.flush()


class JmeterJtlImporter(Importer):
    """JMeter results, CSV (with its header line) or XML."""

    kind: ClassVar[str] = "jmeter-jtl"
    summary: ClassVar[str] = (
        "JMeter results (.jtl, CSV with a header line or XML), one row a sample"
    )
    writes: ClassVar[str] = "requests"
    OPTIONS: ClassVar[Mapping[str, Callable[[str], Any]]] = {"tz": _parse_tz}

    def read(self, paths: Sequence[Path], run: RunDir, report: ImportReport) -> None:
        sink = _Sink(run, report, self.options.get("tz"))
        try:
            for path in paths:
                _read_file(path, sink)
        finally:
            sink.flush()
            _finish(run, sink)


def _read_file(path: Path, sink: _Sink) -> None:
    lines = open_lines(path, sink.report)
    head: list[tuple[int, str]] = []  # up to the first line that is not blank
    for number, text in lines:
        head.append((number, text))
        if text.strip():
            break
    if not head or not head[-1][1].strip():
        raise BadInput("empty: no JMeter results in it", path=path, line=1)
    number, text = head[-1]
    if text.lstrip("\ufeff \t").startswith("<"):
        _read_xml(path, itertools.chain(head, lines), sink)
    else:
        _read_csv(path, number, text, lines, sink)


# -- CSV ------------------------------------------------------------------------------------


def _header(path: Path, number: int, text: str) -> tuple[str, list[str]]:
    """The delimiter and the canonical column names of a JTL's header line."""
    text = text.lstrip("\ufeff")
    for delimiter in _DELIMITERS:
        names = [n.strip() for n in next(csv.reader([text], delimiter=delimiter))]
        columns = [_CANONICAL.get(n.lower(), n) for n in names]
        if all(c in columns for c in _REQUIRED):
            return delimiter, columns
    known = {n.strip().lower() for n in _DELIMITER_SPLIT.split(text)} & set(_CANONICAL)
    if known:
        missing = [c for c in _REQUIRED if c.lower() not in known]
        raise BadInput(
            f"the JMeter CSV header lacks {', '.join(missing)}",
            path=path,
            line=number,
            hint="have JMeter save it: " + ", ".join(_SAVE_PROPERTY[c] for c in missing),
        )
    if re.match(r"\s*\d{10,}", text):
        raise BadInput(
            "a JMeter CSV without its header line",
            path=path,
            line=number,
            hint="set jmeter.save.saveservice.print_field_names=true and run again, or add "
            "the header line (timeStamp,elapsed,label,…) to the top of the file",
        )
    raise BadInput(
        "not a JMeter result file: neither XML <testResults> nor CSV with a header line "
        "naming timeStamp, elapsed and label",
        path=path,
        line=number,
        hint="give a .jtl file that JMeter wrote",
    )


_DELIMITER_SPLIT = re.compile(r"[,\t;|]")
#: The JMeter property that makes it save each required column.
_SAVE_PROPERTY = {
    "timeStamp": "jmeter.save.saveservice.timestamp_format=ms",
    "elapsed": "jmeter.save.saveservice.time=true",
    "label": "jmeter.save.saveservice.label=true",
}


def _read_csv(
    path: Path, header_line: int, header: str, lines: Iterator[tuple[int, str]], sink: _Sink
) -> None:
    delimiter, columns = _header(path, header_line, header)
    unknown = [c for c in columns if c not in _KNOWN]
    if unknown:
        sink.report.warnings.append(
            f"{path.name}: ignored columns JMeter does not document: {', '.join(unknown)}"
        )
    where = [header_line]

    def texts() -> Iterator[str]:
        for number, text in lines:
            where[0] = number
            yield text + "\n"

    reader = csv.reader(texts(), delimiter=delimiter)
    width = len(columns)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            sink.report.skip(f"not a CSV line ({exc})", path, where[0])
            continue
        if not fields or fields == [""]:
            continue
        if len(fields) != width:
            sink.report.skip(f"{len(fields)} fields where the header names {width}", path, where[0])
            continue
        sink.add(dict(zip(columns, fields, strict=True)), path, where[0])


# -- XML ------------------------------------------------------------------------------------


class _XmlSamples:
    """Expat handlers that turn each top-level sample into CSV-named fields."""

    def __init__(self, path: Path, sink: _Sink, parser: Any) -> None:
        self.path = path
        self.sink = sink
        self.parser = parser
        self.depth = 0
        self.root: str | None = None
        self.sample: dict[str, str] | None = None
        self.line = 0
        self.capture: list[str] | None = None
        self.failures: list[str] = []
        self.url: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            self.root = name
            if name != "testResults":
                raise BadInput(
                    f"not a JMeter result file: the XML root is <{name}>, not <testResults>",
                    path=self.path,
                    line=self.parser.CurrentLineNumber,
                    hint="give a .jtl file that JMeter wrote",
                )
        elif self.depth == 2 and name in _SAMPLES:
            self.sample = {_XML_ATTRIBUTES[k]: v for k, v in attrs.items() if k in _XML_ATTRIBUTES}
            self.line = self.parser.CurrentLineNumber
            self.failures, self.url = [], []
        elif self.sample is not None and (
            (self.depth == 4 and name == "failureMessage")
            or (self.depth == 3 and name == "java.net.URL")
        ):
            self.capture = self.failures if name == "failureMessage" else self.url
            self.capture.append("")

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture[-1] += data

    def end(self, name: str) -> None:
        self.capture = None
        if self.depth == 2 and self.sample is not None:
            sample, self.sample = self.sample, None
            if not all(k in sample for k in _REQUIRED):
                lacking = ", ".join(a for a, c in _XML_ATTRIBUTES.items() if c in _REQUIRED)
                self.sink.report.skip(f"a sample without {lacking}", self.path, self.line)
            else:
                failure = next((f.strip() for f in self.failures if f.strip()), "")
                if failure:
                    sample["failureMessage"] = failure
                if self.url:
                    sample["URL"] = self.url[0].strip()
                self.sink.add(sample, self.path, self.line)
        self.depth -= 1


def _read_xml(path: Path, lines: Iterable[tuple[int, str]], sink: _Sink) -> None:
    parser = xml.parsers.expat.ParserCreate()
    samples = _XmlSamples(path, sink, parser)
    parser.StartElementHandler = samples.start
    parser.EndElementHandler = samples.end
    parser.CharacterDataHandler = samples.text
    parser.buffer_text = True
    try:
        for _, text in lines:
            parser.Parse(text + "\n", False)
        parser.Parse("", True)
    except xml.parsers.expat.ExpatError as exc:
        line = exc.lineno
        if samples.root is None:
            raise BadInput(
                f"not a JMeter result file: not XML ({xml.parsers.expat.errors.messages[exc.code]})",
                path=path,
                line=line,
                hint="give a .jtl file that JMeter wrote",
            ) from exc
        reason = xml.parsers.expat.errors.messages[exc.code]
        what = "the XML ends early" if reason == "no element found" else f"broken XML ({reason})"
        sink.report.skip(f"{what}: the rest of the file was not read", path, line)


# -- the run ----------------------------------------------------------------------------------


def _finish(run: RunDir, sink: _Sink) -> None:
    """run.json's span, target and shape; the derived steps; what the source lacks."""
    changes: dict[str, Any] = {"shape": {"kind": "unknown"}}
    if sink.first_us is not None and sink.last_us is not None:
        changes["started_at"] = iso(_EPOCH + timedelta(microseconds=sink.first_us))
        changes["ended_at"] = iso(_EPOCH + timedelta(microseconds=sink.last_us))
    if sink.hosts:
        changes["target"] = {"url": redact_url(sink.hosts.most_common(1)[0][0])}
    run.update_meta(**changes)
    last_second = sink.last_us // 1_000_000 + 1 if sink.last_us is not None else None
    steps = sink.timeline.steps(end=last_second)
    write_steps(run, steps)
    report = sink.report
    if sink.formatted_dates and sink.tz is None:
        report.lacks.append(
            "its timestamps are dates without a time zone; they were read as UTC "
            "(import again with --option tz=+08:00 or a zone name if they are local time)"
        )
    if report.records and not sink.has_users:
        report.lacks.append(
            "active threads (no allThreads or grpThreads column): the load steps cannot be told"
        )
