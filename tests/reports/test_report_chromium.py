"""The HTML report in a real browser: headless Chromium draws every chart, logs no error.

Skipped only when Chromium is absent on a developer's machine; under CI (``CI`` set) a
missing Chromium fails the test, because the Makefile installs it there. The browser gets
no network use of its own (no component updates, sync or background fetches), so the page
must render from the file alone.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from erpcap.reports import render_reports
from erpcap.rundir import RunDir

pytestmark = pytest.mark.chromium

#: Where Debian's package installs the browser; also looked up on PATH.
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 90

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)

#: Console lines Chromium logs with --enable-logging=stderr (``INFO:CONSOLE:1] "msg",
#: source: ...``; the level is not shown, so any console output of the page counts: the
#: report logs nothing) and uncaught exceptions.
_CONSOLE_ERROR = re.compile(r":CONSOLE|Uncaught|SyntaxError|ReferenceError|TypeError")


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if _CONSOLE_ERROR.search(line)]


def _chromium() -> str:
    found = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI is set (the Makefile installs it)")
    pytest.skip("chromium is not installed (apt-get install chromium); set CI to require it")


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium in its own process group, which is killed whole (renderers, zygote and
    all) if it does not finish in time."""
    command = [browser, *_FLAGS, f"--user-data-dir={profile}", *args]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"chromium did not finish within {TIMEOUT_S} s")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # a helper left behind by the browser
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_charts_render_without_console_errors(run_copy: RunDir, tmp_path: Path, lang: str) -> None:
    browser = _chromium()
    [report] = render_reports(run_copy, lang=lang, formats="html")
    url = report.resolve().as_uri()

    dom = _run(
        browser,
        tmp_path / "profile-dom",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
        url,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    # plotly drew each chart: its div gets the js-plotly-plot class and <svg class="main-svg">
    divs = dict(
        (chart_id, classes)
        for classes, chart_id in re.findall(r'<div class="([^"]*)" id="(chart-[a-z0-9-]+)"', html)
    )
    assert set(divs) == {
        "chart-throughput", "chart-latency", "chart-cpu", "chart-memory",
        "chart-capacity", "chart-capacity-p95",
    }  # fmt: skip
    assert all("js-plotly-plot" in classes for classes in divs.values()), divs
    assert html.count('class="main-svg"') >= len(divs)
    errors = _console_errors(dom.stderr)
    assert errors == [], "\n".join(errors)

    shot = tmp_path / f"report-{lang}.png"
    result = _run(
        browser,
        tmp_path / "profile-shot",
        "--virtual-time-budget=5000",
        "--window-size=1280,2400",
        f"--screenshot={shot}",
        url,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # a drawn page, not a blank one
    keep = os.environ.get("ERPCAP_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)


def test_console_errors_are_detected(tmp_path: Path) -> None:
    """The check above must see a broken page (guards against a change of log format)."""
    browser = _chromium()
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><script>console.error('boom'); missingFn();</script>"
        "</body></html>",
        encoding="utf-8",
    )
    result = _run(
        browser,
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=2000",
        "--dump-dom",
        page.resolve().as_uri(),
    )
    errors = _console_errors(result.stderr)
    assert any("boom" in line for line in errors), result.stderr[-2000:]
    assert any("Uncaught" in line for line in errors), result.stderr[-2000:]


def _capacity_docs() -> object:
    path = Path(__file__).with_name("capacity_doc.py")
    spec = importlib.util.spec_from_file_location("erpcap_tests_capacity_doc", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_capacity_report_draws_its_charts(tmp_path: Path, lang: str) -> None:
    """A findings.json 1.4 (capacity_doc.py): the charts by users are drawn, the page logs
    nothing, and a screenshot of the page is not blank."""
    from erpcap.reports import render_html

    browser = _chromium()
    docs: Any = _capacity_docs()
    page = tmp_path / f"capacity-{lang}.html"
    page.write_text(render_html(docs.report_data(docs.full()), lang=lang), encoding="utf-8")
    dom = _run(browser, tmp_path / "profile-dom", "--enable-logging=stderr", "--v=0",
               "--virtual-time-budget=5000", "--dump-dom", page.resolve().as_uri())  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    drawn = dict(
        (chart_id, classes)
        for classes, chart_id in re.findall(
            r'<div class="([^"]*)" id="(chart-[a-z0-9-]+)"', dom.stdout
        )
    )
    assert set(drawn) == {"chart-capacity", "chart-capacity-p95"}
    assert all("js-plotly-plot" in classes for classes in drawn.values()), drawn
    errors = _console_errors(dom.stderr)
    assert errors == [], "\n".join(errors)
    shot = tmp_path / f"capacity-{lang}.png"
    result = _run(browser, tmp_path / "profile-shot", "--virtual-time-budget=5000",
                  "--window-size=1280,2400", f"--screenshot={shot}", page.resolve().as_uri())  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 50_000
    keep = os.environ.get("ERPCAP_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)
