"""The command line's contract: help with examples, one-line errors, exit code 2 for bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from erpcap.cli import COMMANDS, main


def erpcap(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", *args], capture_output=True, text=True, timeout=timeout
    )


def _one_clean_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


#: The command each module of COMMANDS registers, where the two differ (``import`` is a
#: keyword, so its module is ``imports``).
_COMMAND_OF = {"imports": "import"}


@pytest.mark.parametrize("command", [_COMMAND_OF.get(c, c) for c in COMMANDS if c != "erp"])
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and f"erpcap {command}" in out


def test_unknown_command_exits_2():
    result = erpcap("launch-rockets")
    assert result.returncode == 2
    assert "invalid choice" in _one_clean_line(result)


def test_analyze_a_folder_that_is_not_a_run(tmp_path):
    result = erpcap("analyze", str(tmp_path))
    assert result.returncode == 2
    line = _one_clean_line(result)
    assert "not a run directory" in line and str(tmp_path) in line


def test_analyze_with_debug_shows_the_traceback(tmp_path):
    result = erpcap("--debug", "analyze", str(tmp_path))
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "RunDirError" in result.stderr


def test_run_refuses_a_remote_target_before_sending_anything(tmp_path):
    result = erpcap("run", "--target", "http://192.0.2.10:8000", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "--allow-target 192.0.2.10" in _one_clean_line(result)
    assert not any(tmp_path.iterdir())  # no run directory was made


def test_run_against_an_unreachable_target(tmp_path):
    from erpcap.processes import free_port

    port = free_port()
    result = erpcap(
        "run", "--target", f"http://127.0.0.1:{port}", "--out", str(tmp_path), "--duration", "5s"
    )
    assert result.returncode == 2
    assert "cannot reach" in _one_clean_line(result)
    assert not any(tmp_path.iterdir())


def test_run_with_an_unknown_scenario(tmp_path):
    result = erpcap(
        "run", "--target", "http://127.0.0.1:9", "--scenario", "nope", "--out", str(tmp_path)
    )
    assert result.returncode == 2
    line = _one_clean_line(result)
    assert "unknown scenario 'nope'" in line and "demo-mix" in line


def test_run_with_a_malformed_shape_file_names_file_and_line(tmp_path):
    shape = tmp_path / "ladder.yaml"
    shape.write_text(
        "steps:\n  - users: 5\n    duration: 10s\n  - users: lots\n    duration: 10s\n"
    )
    result = erpcap(
        "run", "--target", "http://127.0.0.1:9", "--shape", str(shape), "--out", str(tmp_path)
    )
    assert result.returncode == 2
    line = _one_clean_line(result)
    assert f"{shape}:4" in line


def test_run_with_an_unknown_collector(tmp_path):
    result = erpcap(
        "run", "--target", "http://127.0.0.1:9", "--collect", "oracle-awr", "--out", str(tmp_path)
    )
    assert result.returncode == 2
    assert "oracle-awr" in _one_clean_line(result)


def test_erp_passes_its_arguments_to_the_reference_erp():
    result = erpcap("erp", "serve", "--help")
    assert result.returncode == 0
    assert "--profile" in result.stdout and "--lever" in result.stdout


def test_erp_help_shows_examples_and_the_reference_erps_commands():
    result = erpcap("erp", "--help")
    assert result.returncode == 0
    assert "erpcap erp seed --db" in result.stdout and "{seed,serve}" in result.stdout


def test_erp_bad_arguments_exit_2_in_one_line():
    result = erpcap("erp", "seed", "--db")
    assert result.returncode == 2
    assert "--db" in _one_clean_line(result)


def test_demo_refuses_an_unsupported_database_before_creating_a_run(tmp_path):
    result = erpcap(
        "demo", "--quick", "--db", "mysql://root:pw@127.0.0.1/erp", "--out", str(tmp_path)
    )
    assert result.returncode == 2
    line = _one_clean_line(result)
    assert "sqlite:///" in line and "pw" not in line  # the password is redacted
    assert not any(tmp_path.iterdir())


def test_debug_is_accepted_after_the_subcommand(tmp_path):
    result = erpcap("analyze", str(tmp_path), "--debug")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "RunDirError" in result.stderr


def test_erp_help_calls_itself_erpcap_erp():
    result = erpcap("erp", "serve", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: erpcap erp serve")
    assert "python -m erpcap.reference_erp" not in result.stdout


def test_no_message_echoes_a_url_password(tmp_path):
    from erpcap.processes import free_port

    remote = erpcap(
        "run", "--target", "http://admin:hunter2@192.0.2.10:8000", "--out", str(tmp_path)
    )
    unreachable = erpcap(
        "run", "--target", f"http://admin:hunter2@127.0.0.1:{free_port()}", "--out", str(tmp_path)
    )
    for result in (remote, unreachable):
        assert result.returncode == 2
        line = _one_clean_line(result)
        assert "hunter2" not in line and "admin:***@" in line


def _analysed(make_run):
    run = make_run([(5, 20, 10, 50, 0), (10, 20, 20, 60, 0)])
    assert erpcap("analyze", str(run.path)).returncode == 0
    return run


def test_analyze_keeps_findings_from_more_data(make_run):
    run = _analysed(make_run)
    before = run.file("findings.json").read_bytes()
    main = run.file("requests.parquet")
    main.write_bytes(b"PAR1 damaged")
    damaged = erpcap("analyze", str(run.path))
    assert damaged.returncode == 2
    line = _one_clean_line(damaged)
    assert "requests.parquet" in line and "restore it" in line  # not "remove it"
    main.unlink()  # what the old hint said to do
    refused = erpcap("analyze", str(run.path))
    assert refused.returncode == 2
    line = _one_clean_line(refused)
    assert "0 requests" in line and "--force" in line
    assert run.file("findings.json").read_bytes() == before  # the good findings stay
    forced = erpcap("analyze", str(run.path), "--force")
    assert forced.returncode == 0 and run.read_findings()["overall"]["count"] == 0


@pytest.mark.parametrize("command", ["report", "gate"])
def test_report_and_gate_refuse_findings_older_than_the_data(make_run, tmp_path, command):
    run = _analysed(make_run)
    writer = run.part_writer("requests")  # a part that arrived after the analysis
    rows = run.read_table("requests").head(3)
    writer.extend(rows.astype(object).where(rows.notna(), None).to_dict("records"))
    writer.flush()
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text('thresholds:\n  http_req_failed: ["rate<0.01"]\n', encoding="utf-8")
    args = [command, str(run.path)] + (["--budgets", str(budgets)] if command == "gate" else [])
    result = erpcap(*args)
    assert result.returncode == 2
    line = _one_clean_line(result)
    assert "older than the data" in line and "erpcap analyze" in line
    assert erpcap("analyze", str(run.path)).returncode == 0
    assert erpcap(*args).returncode == 0


@pytest.mark.parametrize("option", ["--shape", "--scenario"])
def test_a_file_that_is_not_utf8_is_one_line(tmp_path, option):
    path = tmp_path / "file.yaml"
    path.write_bytes("# 阶梯\nsteps:\n  - users: 5\n".encode("gbk"))
    result = erpcap(
        "run", "--target", "http://127.0.0.1:9", option, str(path), "--out", str(tmp_path)
    )
    assert result.returncode == 2
    line = _one_clean_line(result)
    assert f"{path}:1:" in line and "not UTF-8" in line and "save it as UTF-8" in line
