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
