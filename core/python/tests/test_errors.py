"""Errors: Python exceptions carrying the binary's messages, with file, line and column."""

import pytest

import cyclebt


def test_unknown_key_names_file_line_and_column(tmp_path, run_binary):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ncapital = "1000000"\nbogus_key = 3\n')
    with pytest.raises(cyclebt.InputError) as raised:
        cyclebt.compare([bad])
    message = str(raised.value)
    assert message.startswith(f"{bad}:3:1: unknown field `bogus_key`")
    cli = run_binary("compare", bad, check=False)
    assert cli.returncode == 2
    assert f"error: {message.splitlines()[0]}" in cli.stderr


def test_bad_value_and_missing_file_and_usage(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ncapital = \n')
    with pytest.raises(cyclebt.InputError, match=rf"^{bad}:2:11: "):
        cyclebt.compare([bad])
    with pytest.raises(cyclebt.InputError, match="nope.toml: cannot read file"):
        cyclebt.compare(["nope.toml"])
    with pytest.raises(cyclebt.InputError, match="unknown window or group"):
        cyclebt.compare(windows="bull9")
    assert issubclass(cyclebt.InputError, cyclebt.CyclebtError)


def test_a_failing_plugin_is_named_and_the_others_results_come_out(root, monkeypatch):
    monkeypatch.chdir(root)
    # No plugin folder given: sma-plugin cannot find its plugin; sma-trend is built in.
    monkeypatch.delenv("CYCLEBT_PLUGIN_PATH", raising=False)
    with pytest.warns(UserWarning, match="failed: sma-plugin"):
        result = cyclebt.compare(["strategies/sma-plugin.toml", "strategies/sma-trend.toml"], "bull5")
    assert "sma-cross" in result.failures
    rows = result.summary.set_index("strategy")
    assert rows.loc["sma-trend", "status"].tolist() == ["ran", "ran"]
    assert rows.loc["sma-plugin", "status"] == "failed"
    with pytest.raises(cyclebt.StrategiesFailed):
        cyclebt.run("compare", "strategies/sma-plugin.toml", "--window", "bull5")
