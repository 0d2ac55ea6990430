"""The wire and the channels: signatures, control and heartbeat while a cell runs, comms, odd requests."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
import zmq

from kernelclient import (
    DELIM,
    collect_iopub,
    connection_url,
    control_reply,
    execute,
    frames,
    header,
    parse_reply,
    recv_frames,
    request,
    running_kernel,
    shell_reply,
    sign,
    validate,
)


@pytest.fixture(scope="module")
def kernel():
    with running_kernel() as (km, kc):
        yield km, kc


@pytest.fixture
def raw_shell(kernel):
    km, _ = kernel
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.identity = f"raw-{uuid.uuid4().hex[:6]}".encode()
    sock.connect(connection_url(km.get_connection_info(), "shell"))
    yield sock
    sock.close()


def test_kernel_info_reply_content(kernel):
    _, kc = kernel
    run = request(kc, "kernel_info_request", {})
    validate(run.reply, "kernel_info_reply")
    content = run.reply["content"]
    assert tuple(int(x) for x in content["protocol_version"].split(".")[:2]) >= (5, 3)
    assert content["implementation"] and content["implementation_version"]
    info = content["language_info"]
    assert info["name"] == "fovea"
    for key in ("version", "mimetype", "file_extension"):
        assert isinstance(info[key], str) and info[key], key
    assert info.get("pygments_lexer") or info.get("codemirror_mode")
    assert content["banner"]
    assert all(set(link) >= {"text", "url"} for link in content.get("help_links", []))
    # kernel_info is wrapped in busy/idle too (wait_for_ready relies on an IOPub message after the reply).
    assert [m["content"]["execution_state"] for m in run.iopub] == ["busy", "idle"]


def test_wrongly_signed_message_is_not_executed(kernel, raw_shell):
    km, kc = kernel
    key = km.session.key
    assert key, "jupyter_client signs by default: the connection file must carry a key"
    marker = f"unsigned_{uuid.uuid4().hex[:8]}"
    content = {"code": f"{marker} = 1", "silent": False, "store_history": True,
               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
    bad_key = frames(b"not-the-key", "execute_request", content)
    no_signature = frames(key, "execute_request", content)
    no_signature[1] = b""
    tampered = frames(key, "execute_request", content)
    tampered[-1] = json.dumps({**content, "code": f"{marker} = 2"}).encode()
    for parts in (bad_key, no_signature, tampered):
        raw_shell.send_multipart(parts)
    assert recv_frames(raw_shell, 1.5) is None, "the kernel answered a badly signed request"

    # Still alive, and none of the three ran.
    raw_shell.send_multipart(frames(key, "kernel_info_request", {}))
    reply = recv_frames(raw_shell, 10)
    assert reply is not None
    hdr, _, content = parse_reply(reply)
    assert hdr["msg_type"] == "kernel_info_reply"
    assert execute(kc, marker).reply["content"]["ename"] == "NameError"


def test_malformed_frames_are_dropped(kernel, raw_shell):
    km, kc = kernel
    key = km.session.key
    good = frames(key, "kernel_info_request", {})
    hdr = json.dumps(header("kernel_info_request")).encode()
    garbage = [
        [b"no delimiter at all"],
        [DELIM],
        [DELIM, b"sig"],
        good[:4],
        [DELIM, sign(key, [b"{", b"{}", b"{}", b"{}"]), b"{", b"{}", b"{}", b"{}"],
        [DELIM, sign(key, [b"\xff\xfe", b"{}", b"{}", b"{}"]), b"\xff\xfe", b"{}", b"{}", b"{}"],
        [DELIM, sign(key, [b"[]", b"{}", b"{}", b"{}"]), b"[]", b"{}", b"{}", b"{}"],
        [DELIM, sign(key, [hdr, b"{}", b"{}", b"7"]), hdr, b"{}", b"{}", b"7"],
        [DELIM, b"x" * 64, hdr, b"{}", b"{}", b"{}"],
    ]
    for parts in garbage:
        raw_shell.send_multipart(parts)
    raw_shell.send_multipart(good)
    deadline = time.monotonic() + 10
    seen = None
    while time.monotonic() < deadline:
        reply = recv_frames(raw_shell, 1)
        if reply is None:
            continue
        h, parent, _ = parse_reply(reply)
        if h["msg_type"] == "kernel_info_reply" and parent["msg_id"] == json.loads(good[2])["msg_id"]:
            seen = h
            break
    assert seen is not None, "kernel stopped answering after malformed frames"
    assert execute(kc, "1 + 1").result_text == "2"


def test_unknown_request_types_do_not_break_the_kernel(kernel):
    _, kc = kernel
    msg = kc.session.msg("definitely_not_a_request", {})
    kc.shell_channel.send(msg)
    kc.control_channel.send(kc.session.msg("also_not_a_request", {}))
    assert execute(kc, "2 + 2").result_text == "4"


def test_control_answers_and_heartbeat_beats_while_a_cell_sleeps(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    ctx = zmq.Context.instance()
    hb = ctx.socket(zmq.REQ)
    hb.linger = 0
    hb.connect(connection_url(info, "hb"))
    try:
        cell = kc.execute("sleep(10)")
        busy = kc.get_iopub_msg(timeout=10)
        while busy["parent_header"].get("msg_id") != cell:
            busy = kc.get_iopub_msg(timeout=10)
        time.sleep(0.5)  # let the cell get into sleep()

        t0 = time.monotonic()
        msg = kc.session.msg("kernel_info_request", {})
        kc.control_channel.send(msg)
        reply = control_reply(kc, msg["header"]["msg_id"], timeout=5)
        elapsed = time.monotonic() - t0
        validate(reply, "kernel_info_reply")
        assert elapsed < 1.0, f"kernel_info on control took {elapsed:.2f} s while a cell ran"

        for i in range(3):
            t0 = time.monotonic()
            hb.send(b"ping-%d" % i)
            assert hb.poll(1000), "heartbeat silent while a cell ran"
            assert hb.recv() == b"ping-%d" % i
            time.sleep(0.2)

        # The cell is still running; stop it (interrupts have their own tests).
        km.interrupt_kernel()
        reply = shell_reply(kc, cell, timeout=5)
        collect_iopub(kc, cell)
    finally:
        hb.close()


def test_comm_info_is_empty_and_unknown_comm_targets_are_closed(kernel):
    _, kc = kernel
    run = request(kc, "comm_info_request", {})
    validate(run.reply, "comm_info_reply")
    assert run.reply["content"]["comms"] == {}

    comm_id = uuid.uuid4().hex
    msg = kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "no.such.target", "data": {}})
    kc.shell_channel.send(msg)
    deadline = time.monotonic() + 10
    closed = None
    while time.monotonic() < deadline and closed is None:
        m = kc.get_iopub_msg(timeout=10)
        if m["msg_type"] == "comm_close" and m["content"].get("comm_id") == comm_id:
            closed = m
    assert closed is not None, "comm_open to an unknown target was not answered by comm_close"
    assert request(kc, "comm_info_request", {}).reply["content"]["comms"] == {}


def test_complete_counts_code_points(kernel):
    _, kc = kernel
    code = 's = "é 😀"; prin'
    msg_id = kc.complete(code, len(code))
    reply = shell_reply(kc, msg_id)
    validate(reply, "complete_reply")
    content = reply["content"]
    assert "print" in content["matches"]
    assert content["cursor_end"] == len(code)  # Python's len counts code points, as the spec does
    assert content["cursor_start"] == len(code) - len("prin")


def test_complete_keyword_names_inside_a_call(kernel):
    _, kc = kernel
    code = "sleep(sec"
    reply = shell_reply(kc, kc.complete(code, len(code)))
    assert any(m.startswith("seconds") for m in reply["content"]["matches"])


def test_inspect_shows_the_signature(kernel):
    _, kc = kernel
    code = "sleep(1)"
    reply = shell_reply(kc, kc.inspect(code, cursor_pos=3))
    validate(reply, "inspect_reply")
    assert reply["content"]["found"] is True
    assert "sleep(" in reply["content"]["data"]["text/plain"]
    assert "seconds" in reply["content"]["data"]["text/plain"]

    nothing = shell_reply(kc, kc.inspect("zzz_nothing_here", cursor_pos=3))
    validate(nothing, "inspect_reply")
    assert nothing["content"]["found"] is False


def test_is_complete_gives_an_indent_for_incomplete_code(kernel):
    _, kc = kernel
    reply = shell_reply(kc, kc.is_complete("print(1,"))
    validate(reply, "is_complete_reply")
    assert reply["content"]["status"] == "incomplete"
    assert isinstance(reply["content"]["indent"], str)


def test_history_search_with_glob_and_unique(kernel):
    _, kc = kernel
    tag = f"h{uuid.uuid4().hex[:8]}"
    for code in (f"{tag}_a1 = 1", f"{tag}_a2 = 2", f"{tag}_a1 = 1", f"{tag}_b = 3"):
        execute(kc, code)

    def search(pattern: str, **kw) -> list:
        reply = shell_reply(kc, kc.history(hist_access_type="search", pattern=pattern, raw=True, output=False, **kw))
        validate(reply, "history_reply")
        return [row[2] for row in reply["content"]["history"]]

    assert search(f"{tag}_a*") == [f"{tag}_a1 = 1", f"{tag}_a2 = 2", f"{tag}_a1 = 1"]
    assert sorted(search(f"{tag}_a*", unique=True)) == [f"{tag}_a1 = 1", f"{tag}_a2 = 2"]
    assert search(f"{tag}_a? = 2") == [f"{tag}_a2 = 2"]
    assert search(f"{tag}_*", n=1) == [f"{tag}_b = 3"]
    assert search(f"{tag}_[b]*") == [f"{tag}_b = 3"]


def test_sigint_while_idle_does_not_kill_the_kernel(kernel):
    km, kc = kernel
    km.interrupt_kernel()
    time.sleep(0.3)
    assert km.is_alive()
    assert execute(kc, "3 + 3").result_text == "6"


def test_complete_names_in_scope_and_file_paths(kernel, tmp_path):
    _, kc = kernel
    execute(kc, "my_variable_for_completion = 1")
    code = "my_variable_for"
    reply = shell_reply(kc, kc.complete(code, len(code)))
    assert reply["content"]["matches"] == ["my_variable_for_completion"]

    # File paths inside strings, relative to the kernel's working directory (or absolute).
    (tmp_path / "picture-one.png").write_bytes(b"")
    (tmp_path / "picture-two.png").write_bytes(b"")
    (tmp_path / "pictures").mkdir()
    code = f'image("{tmp_path}/pictu'
    reply = shell_reply(kc, kc.complete(code, len(code)))
    content = reply["content"]
    start = content["cursor_start"]
    completed = {code[:start] + m for m in content["matches"]}
    prefix = f'image("{tmp_path}/'
    assert completed == {prefix + "picture-one.png", prefix + "picture-two.png", prefix + "pictures/"}


def test_inspect_a_name_summarises_its_value(kernel):
    _, kc = kernel
    execute(kc, 'inspected = [1, 2, 3]')
    reply = shell_reply(kc, kc.inspect("inspected", cursor_pos=4))
    validate(reply, "inspect_reply")
    assert reply["content"]["found"] is True
    assert "inspected" in reply["content"]["data"]["text/plain"]
