"""hookhub.sandbox.tracebacks: the script's own frames and the exception, nothing of hookhub."""

from __future__ import annotations

import textwrap

from hookhub.sandbox.tracebacks import format_script_error

SOURCE = textwrap.dedent("""\
    def inner(payload):
        return payload["missing"]

    def outer(payload):
        return inner(payload)
""")


def raise_from_script(filename: str = "alerts.py") -> BaseException:
    namespace: dict[str, object] = {}
    exec(compile(SOURCE, filename, "exec"), namespace)
    try:
        namespace["outer"]({})  # type: ignore[operator]
    except KeyError as exc:
        return exc
    raise AssertionError("the script did not raise")


def test_only_the_scripts_frames_with_their_source_lines() -> None:
    text = format_script_error(raise_from_script(), "alerts.py", SOURCE)
    assert text.splitlines() == [
        "Traceback (most recent call last):",
        '  File "alerts.py", line 5, in outer',
        "    return inner(payload)",
        '  File "alerts.py", line 2, in inner',
        '    return payload["missing"]',
        "KeyError: 'missing'",
    ]
    assert __file__ not in text and "hookhub" not in text


def test_without_the_source_only_file_and_line_are_shown() -> None:
    lines = format_script_error(raise_from_script(), "alerts.py").splitlines()
    assert lines[1:3] == ['  File "alerts.py", line 5, in outer', '  File "alerts.py", line 2, in inner']


def test_frames_of_other_files_are_left_out() -> None:
    exc = raise_from_script("alerts.py")
    text = format_script_error(exc, "another.py", SOURCE)
    assert text.splitlines() == ["Traceback (most recent call last):", "KeyError: 'missing'"]


def test_a_line_outside_the_source_is_not_shown() -> None:
    text = format_script_error(raise_from_script(), "alerts.py", "only one line\n")
    assert "return" not in text and '  File "alerts.py", line 2, in inner' in text


def test_an_exception_never_raised_has_just_its_message() -> None:
    assert format_script_error(ValueError("bad value"), "x.py") == \
        "Traceback (most recent call last):\nValueError: bad value"
