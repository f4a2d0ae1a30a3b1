"""Start-up: small commands load neither numpy nor the compiled core; the fast path of
``explain`` prints exactly what the typer command prints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from vsbengine.cli import launch
from vsbengine.cli.main import app

_PROBE = """
import sys
sys.argv = ["vsbengine", *{args!r}]
from vsbengine.cli.launch import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("numpy", "vsbengine._core", "vsbengine.pipeline") if m in sys.modules)
print("LOADED", ",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "509902"],
        ["explain", "--json", "960920"],
        ["explain", "509902", "-v"],  # through typer
        ["--help"],
        ["validate", "--help"],
        ["viplive", "--help"],
        ["--version"],
    ],
)
def test_small_commands_import_no_numpy(args):
    r = subprocess.run(
        [sys.executable, "-c", _PROBE.format(args=args)], capture_output=True, text=True
    )
    assert r.stderr.splitlines()[-1] == "LOADED ", r.stderr


def test_import_vsbengine_binds_names_on_first_use():
    code = (
        "import sys, vsbengine; a = 'numpy' in sys.modules; "
        "e = vsbengine.Engine; print(a, 'numpy' in sys.modules, e.__module__, "
        "'Engine' in dir(vsbengine))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.split() == ["False", "True", "vsbengine.pipeline", "True"]


def test_unknown_attribute_is_an_attribute_error():
    import vsbengine

    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        vsbengine.nothing  # noqa: B018


@pytest.mark.parametrize(
    "args",
    [["explain", "509902"], ["explain", "960920", "--json"], ["explain", "--json", "200820"]],
)
def test_fast_path_prints_what_the_command_prints(args, capsys):
    with pytest.raises(SystemExit) as done:
        launch.main(args)
    assert done.value.code == 0
    fast = capsys.readouterr().out
    assert fast == CliRunner().invoke(app, args).stdout


def test_fast_path_unknown_code_is_the_same_one_line(capsys):
    with pytest.raises(SystemExit) as done:
        launch.main(["explain", "123456"])
    assert done.value.code == 2
    line = (
        "vsbengine: error: unknown code '123456': neither vsbengine nor the insurers' list has it\n"
    )
    assert capsys.readouterr().err == line
    r = CliRunner().invoke(app, ["explain", "123456"])
    assert (r.exit_code, r.stderr) == (2, line)


@pytest.mark.parametrize(
    "args",
    [
        ["explain"],
        ["explain", "1", "2"],
        ["explain", "--help"],
        ["explain", "1", "-x"],
        ["validate", "f"],
    ],
)
def test_other_forms_go_to_typer(args):
    assert launch._fast_explain(args) is None


@pytest.mark.parametrize(
    "args", [["explain", "509902"], ["explain", "509902", "--json"], ["schema", "validate"]]
)
def test_a_reader_that_leaves_stops_the_command_quietly(args):
    """``vsbengine ... | head``: the pipe closed before the command writes is the exit
    code of SIGPIPE and nothing on stderr, never a traceback or an error line."""
    r, w = os.pipe()
    p = subprocess.Popen(
        [sys.executable, "-m", "vsbengine", *args], stdout=w, stderr=subprocess.PIPE
    )
    os.close(w)
    os.close(r)
    err = p.stderr.read()
    assert p.wait(timeout=60) == 141 and err == b""
