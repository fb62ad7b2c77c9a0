"""The example script runs start to end on the bundled snapshot."""

import subprocess
import sys


def test_the_margin_signal_example_runs(root, binary, tmp_path):
    script = root / "core" / "python" / "examples" / "margin_signal.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(binary.parent)],
        cwd=root, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "credit-push" in done.stdout and "margin-timing" in done.stdout
    assert (tmp_path / "report.html").is_file()
