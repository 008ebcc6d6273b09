"""What `make demo` prints: one line per stage (the full output of each in a log file it names), no colour
when piped, then the summary; under 40 lines in all."""

import sys

import pytest

from demo import stage

ESCAPE = "\x1b"


@pytest.mark.unit
def test_a_stage_is_one_line_when_piped_and_its_output_goes_to_the_log(tmp_path, capsys):
    log = tmp_path / "logs" / "step.log"
    script = "print('noise 1'); print('@progress 1/2 assets'); print('noise 2'); print('@progress 2/2 assets')"

    ok, last = stage.run("step", log, [sys.executable, "-c", script])

    out = capsys.readouterr().out
    assert ok and last == "2/2 assets"
    assert out.count("\n") == 1 and out.startswith("step: done in ") and out.rstrip().endswith("(2/2 assets)")
    assert ESCAPE not in out
    assert "noise 1\n" in log.read_text() and "noise 2\n" in log.read_text()


@pytest.mark.unit
def test_a_failed_stage_names_its_log(tmp_path, capsys):
    log = tmp_path / "step.log"
    ok, _ = stage.run("step", log, [sys.executable, "-c", "import sys; print('why it failed'); sys.exit(3)"])
    out = capsys.readouterr().out
    assert not ok
    assert out.startswith("step: FAILED in ") and f"full log: {log}" in out
    assert "why it failed" in log.read_text()
