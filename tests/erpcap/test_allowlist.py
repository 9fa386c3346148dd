"""Which targets erpcap loads: loopback always, any other host only when the user names it.

The command-line tests run inside an empty network namespace (``unshare -rn``: only a
loopback device that is down), so that even a bug in the refusal could not send a packet
anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from erpcap.allowlist import allowed_host, configured_hosts, require_allowed_target
from erpcap.errors import BadInput

REMOTE = "http://192.0.2.10:8069"  # TEST-NET-1: documentation only, routed nowhere


def _netns_works() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    return subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0


needs_netns = pytest.mark.skipif(
    not _netns_works(), reason="unshare -rn (an empty network namespace) is not permitted here"
)


def erpcap_in_empty_netns(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "-rn", sys.executable, "-m", "erpcap", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("target", "hosts", "allowed"),
    [
        ("http://erp.example:8069/web", ["ERP.example."], True),
        ("http://erp.example:8069/web", ["erp.example.org"], False),
        ("http://[2001:db8::1]:80", ["2001:DB8:0::1"], True),
        ("http://10.0.0.5", ["https://10.0.0.5:443/"], True),
        ("http://10.0.0.5", ["10.0.0.50"], False),
        ("http://10.0.0.5", [], False),
    ],
)
def test_a_host_matches_by_name_or_address(target: str, hosts: list[str], allowed: bool) -> None:
    assert allowed_host(target, hosts) is allowed


def test_loopback_needs_no_allowance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for url in ("http://127.0.0.1:8000", "http://[::1]:8000", "http://localhost"):
        require_allowed_target(url)
    with pytest.raises(BadInput, match="--allow-target 192.0.2.10"):
        require_allowed_target(REMOTE)
    require_allowed_target(REMOTE, ["192.0.2.10"])


def test_the_config_file_allows_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "erpcap.yaml").write_text("allow_targets:\n  - 192.0.2.10\n")
    require_allowed_target(REMOTE)
    assert configured_hosts() == ["192.0.2.10"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# hosts we may load\nallow_targets: erp.example\n", 2, "must be a list"),
        ("allow_targets: [a.example]\nallow_all: true\n", 1, "unknown key 'allow_all'"),
        ("allow_targets:\n  - [nested]\n", 1, "must be a list"),
        ("allow_targets: [a\n", 2, "not valid YAML"),
    ],
)
def test_a_bad_config_file_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int, words: str
) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(text)
    monkeypatch.setenv("ERPCAP_CONFIG", str(config))
    with pytest.raises(BadInput) as info:
        configured_hosts()
    assert words in info.value.message
    assert Path(str(info.value.path)) == config and info.value.line == line


def test_a_named_config_file_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPCAP_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(BadInput, match="does not exist"):
        configured_hosts()


@needs_netns
def test_a_remote_target_is_refused_inside_an_empty_network_namespace(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    result = erpcap_in_empty_netns("run", "--target", REMOTE, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line(result)
    assert "not allowed" in line and "--allow-target 192.0.2.10" in line
    assert not out.exists()  # refused before a run directory was made


@needs_netns
@pytest.mark.parametrize("how", ["option", "config"])
def test_an_allowed_target_gets_past_the_allowlist(tmp_path: Path, how: str) -> None:
    """Allowed, the run goes on to its reachability check, which fails in the empty
    namespace: proof that the allowance took effect, with nothing sent off this machine."""
    out = tmp_path / "runs"
    args = ["run", "--target", REMOTE, "--out", str(out), "--duration", "5s"]
    env = {}
    if how == "option":
        args += ["--allow-target", "192.0.2.10"]
    else:
        (tmp_path / "hosts.yaml").write_text("allow_targets: [192.0.2.10]\n")
        env["ERPCAP_CONFIG"] = str(tmp_path / "hosts.yaml")
    result = erpcap_in_empty_netns(*args, cwd=tmp_path, env=env)
    assert result.returncode == 2
    line = _one_line(result)
    assert "not allowed" not in line and "cannot reach" in line
    assert not out.exists()
