"""execute_request semantics beyond jupyter_kernel_test: errors, state, counts, aborts, user expressions."""

from __future__ import annotations

import base64
import struct
import uuid

import pytest

from kernelclient import execute, running_kernel, shell_reply, collect_iopub, strip_ansi, validate


@pytest.fixture(scope="module")
def kernel():
    with running_kernel() as (km, kc):
        yield kc


def test_state_survives_an_error_cell(kernel):
    assert execute(kernel, "kept = 5").status == "ok"
    failing = execute(kernel, "kept = 6\nbefore = 1\nnot_a_name + 1\nafter = 2")
    assert failing.status == "error"
    assert failing.reply["content"]["ename"] == "NameError"
    # Statements that ran before the error keep their effect; those after it never ran.
    assert execute(kernel, "kept").result_text == "6"
    assert execute(kernel, "before").result_text == "1"
    assert execute(kernel, "after").reply["content"]["ename"] == "NameError"


def test_error_traceback_has_a_caret_under_the_offending_span(kernel):
    code = "x = 1\ny = x + undefined_thing\n"
    run = execute(kernel, code)
    assert run.status == "error"
    error = run.error
    assert error is not None
    assert error["ename"] == "NameError"
    assert "undefined_thing" in error["evalue"]
    # The reply carries the same error as the IOPub message.
    assert run.reply["content"]["ename"] == error["ename"]
    assert run.reply["content"]["evalue"] == error["evalue"]

    lines = strip_ansi("\n".join(error["traceback"])).split("\n")
    source = "y = x + undefined_thing"
    at = [i for i, line in enumerate(lines) if line.rstrip().endswith(source)]
    assert at, f"the offending line is not quoted in the traceback:\n{chr(10).join(lines)}"
    quoted = lines[at[0]]
    caret_line = lines[at[0] + 1]
    column = quoted.rindex(source) + source.index("undefined_thing")
    carets = caret_line.rstrip()
    assert carets.lstrip() and set(carets.lstrip()) <= {"^", "~"}, f"no caret line under the source: {caret_line!r}"
    start = len(carets) - len(carets.lstrip())
    assert start == column, f"caret starts at column {start}, the name at {column}:\n{quoted}\n{caret_line}"
    assert len(carets.lstrip()) == len("undefined_thing")


def test_syntax_error_points_at_the_column(kernel):
    run = execute(kernel, "a = (1 + ]")
    assert run.status == "error"
    assert run.error["ename"] == "SyntaxError"
    lines = strip_ansi("\n".join(run.error["traceback"])).split("\n")
    at = [i for i, line in enumerate(lines) if line.rstrip().endswith("a = (1 + ]")]
    assert at
    column = lines[at[0]].rindex("a = (1 + ]") + len("a = (1 + ")
    caret_line = lines[at[0] + 1]
    assert caret_line.index("^") == column


def test_argument_errors_name_the_parameter_and_suggest(kernel):
    run = execute(kernel, "sleep(secnds=0)")
    assert run.status == "error"
    assert run.error["ename"] == "ArgumentError"
    text = run.error["evalue"] + "\n".join(strip_ansi(t) for t in run.error["traceback"])
    assert "secnds" in text
    assert "seconds" in text  # "did you mean seconds"


def test_trailing_semicolon_suppresses_the_result(kernel):
    assert execute(kernel, "5*5").result_text == "25"
    run = execute(kernel, "6*7;")
    assert run.status == "ok", run.why
    assert run.of_type("execute_result") == []
    # As in IPython, `_` is the last *displayed* result: a suppressed one does not replace it.
    assert execute(kernel, "_").result_text == "25"
    assert execute(kernel, "_ + 1").result_text == "26"


def test_execution_count_rules(kernel):
    first = execute(kernel, "1")
    n = first.reply["content"]["execution_count"]
    assert first.of_type("execute_input")[0]["content"]["execution_count"] == n
    assert first.of_type("execute_result")[0]["content"]["execution_count"] == n

    silent = execute(kernel, "2", silent=True)
    assert silent.status == "ok", silent.why
    # Silent cells publish nothing but busy/idle, and do not advance the count.
    assert [m["msg_type"] for m in silent.iopub] == ["status", "status"]

    unstored = execute(kernel, "3", store_history=False)
    assert unstored.status == "ok", unstored.why
    assert unstored.result_text == "3"

    after = execute(kernel, "4")
    assert after.reply["content"]["execution_count"] == n + 1
    assert after.of_type("execute_result")[0]["content"]["execution_count"] == n + 1

    failing = execute(kernel, "no_such_name")
    assert failing.reply["content"]["execution_count"] == n + 2  # errors count too
    assert execute(kernel, "5").reply["content"]["execution_count"] == n + 3


def test_stop_on_error_aborts_queued_cells(kernel):
    """Our own check of the spec's `status: "aborted"` (jupyter_kernel_test's validator only knows the
    obsolete `"abort"`, so kernelclient.validate skips its schema for these replies)."""
    marker = f"ran_{uuid.uuid4().hex[:8]}"
    ids = [
        kernel.execute("no_such_name_here"),
        kernel.execute(f"{marker} = 1"),
        kernel.execute('print("must not run")'),
    ]
    replies = [shell_reply(kernel, i) for i in ids]
    iopubs = [collect_iopub(kernel, i) for i in ids]
    assert replies[0]["content"]["status"] == "error"
    for reply, iopub in zip(replies[1:], iopubs[1:]):
        assert reply["msg_type"] == "execute_reply"
        assert reply["content"]["status"] == "aborted"
        # Aborted requests are still wrapped in busy/idle, and produce no output.
        assert [m["content"].get("execution_state") for m in iopub] == ["busy", "idle"]
    assert execute(kernel, marker).reply["content"]["ename"] == "NameError"

    # With stop_on_error=False the queue keeps running.
    ids = [kernel.execute("no_such_name_here", stop_on_error=False), kernel.execute(f"{marker} = 2")]
    replies = [shell_reply(kernel, i) for i in ids]
    for i in ids:
        collect_iopub(kernel, i)
    assert [r["content"]["status"] for r in replies] == ["error", "ok"]
    assert execute(kernel, marker).result_text == "2"


def test_user_expressions_are_evaluated(kernel):
    execute(kernel, "base = 40")
    run = execute(kernel, "base = base + 1", user_expressions={"good": "base + 1", "bad": "nowhere"})
    expressions = run.reply["content"]["user_expressions"]
    assert expressions["good"]["status"] == "ok"
    assert expressions["good"]["data"]["text/plain"] == "42"
    assert expressions["bad"]["status"] == "error"
    assert expressions["bad"]["ename"] == "NameError"


def test_print_and_warn_streams(kernel):
    run = execute(kernel, 'print("a", 1, [2, 3])\nwarn("careful")')
    assert run.status == "ok", run.why
    assert run.stdout == "a 1 [2, 3]\n"
    assert "careful" in run.stderr


def test_question_mark_opens_the_pager(kernel):
    run = execute(kernel, "?sleep")
    assert run.status == "ok", run.why
    payload = run.reply["content"]["payload"]
    assert len(payload) == 1 and payload[0]["source"] == "page"
    assert "sleep" in payload[0]["data"]["text/plain"]
    assert run.outputs == []


def _png_size(data_b64: str) -> tuple[int, int]:
    raw = base64.b64decode(data_b64)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def test_sample_image_displays_as_png(kernel):
    run = execute(kernel, 'image("sample:chelsea")')
    assert run.status == "ok", run.why
    bundle = run.of_type("execute_result")[0]["content"]["data"]
    assert "text/plain" in bundle
    # skimage's chelsea.png is 451 x 300.
    assert _png_size(bundle["image/png"]) == (451, 300)


def test_show_publishes_display_data_and_returns_none(kernel):
    run = execute(kernel, 'show(image("sample:camera"))')
    assert run.status == "ok", run.why
    displays = run.of_type("display_data")
    assert len(displays) == 1
    assert _png_size(displays[0]["content"]["data"]["image/png"]) == (512, 512)
    assert run.of_type("execute_result") == []


def test_clear_emits_clear_output(kernel):
    run = execute(kernel, 'print("x"); clear(); print("y")')
    kinds = [m["msg_type"] for m in run.outputs]
    assert kinds == ["stream", "clear_output", "stream"]


def test_cells_with_non_ascii_text(kernel):
    run = execute(kernel, 'print("héllo 😀 ✓")')
    assert run.stdout == "héllo 😀 ✓\n"


def test_messages_carry_protocol_version_and_parent(kernel):
    msg_id = kernel.execute("1 + 1")
    reply = shell_reply(kernel, msg_id)
    major, minor = (int(x) for x in reply["header"]["version"].split(".")[:2])
    assert (major, minor) >= (5, 3)
    iopub = collect_iopub(kernel, msg_id)
    assert [m["msg_type"] for m in iopub] == ["status", "execute_input", "execute_result", "status"]
    for m in iopub + [reply]:
        validate(m)
        assert m["parent_header"]["msg_id"] == msg_id
        assert m["header"]["session"] == reply["header"]["session"]
