"""Interrupts (signal and message mode), shutdown and restart, history across restarts."""

from __future__ import annotations

import time
import uuid

import pytest

from kernelclient import collect_iopub, control_reply, execute, running_kernel, shell_reply, validate


def _interrupt_sleep(km, kc, interrupt) -> float:
    """Runs `sleep(10)`, calls `interrupt()` once it is busy, returns seconds from interrupt to the reply."""
    cell = kc.execute("sleep(10)")
    while True:
        m = kc.get_iopub_msg(timeout=10)
        if m["parent_header"].get("msg_id") == cell and m["msg_type"] == "execute_input":
            break
    time.sleep(0.3)
    t0 = time.monotonic()
    interrupt()
    reply = shell_reply(kc, cell, timeout=10)
    elapsed = time.monotonic() - t0
    iopub = collect_iopub(kc, cell)
    validate(reply, "execute_reply")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    errors = [m for m in iopub if m["msg_type"] == "error"]
    assert len(errors) == 1 and errors[0]["content"]["ename"] == "Interrupted"
    return elapsed


def test_interrupt_by_signal_ends_sleep_within_a_second():
    with running_kernel() as (km, kc):
        assert km.kernel_spec.interrupt_mode == "signal"
        execute(kc, "kept = 1")
        elapsed = _interrupt_sleep(km, kc, km.interrupt_kernel)
        assert elapsed < 1.0, f"interrupt took {elapsed:.2f} s"
        assert km.is_alive()
        assert execute(kc, "kept + 1").result_text == "2"
        # A second interrupt works as well as the first.
        assert _interrupt_sleep(km, kc, km.interrupt_kernel) < 1.0


def test_interrupt_by_message_ends_sleep_within_a_second():
    with running_kernel("fovea-message") as (km, kc):
        assert km.kernel_spec.interrupt_mode == "message"
        replies = []

        def send_interrupt_request():
            msg = kc.session.msg("interrupt_request", {})
            kc.control_channel.send(msg)
            replies.append(control_reply(kc, msg["header"]["msg_id"], timeout=5))

        elapsed = _interrupt_sleep(km, kc, send_interrupt_request)
        assert elapsed < 1.0, f"interrupt took {elapsed:.2f} s"
        validate(replies[0], "interrupt_reply")
        assert replies[0]["content"]["status"] == "ok"
        # jupyter_client's own path for message mode.
        assert _interrupt_sleep(km, kc, km.interrupt_kernel) < 1.0
        assert execute(kc, "1 + 1").result_text == "2"


@pytest.mark.parametrize("channel", ["control", "shell"])
def test_shutdown_request_with_restart_is_answered_and_the_process_exits(channel):
    with running_kernel() as (km, kc):
        msg = kc.session.msg("shutdown_request", {"restart": True})
        getattr(kc, f"{channel}_channel").send(msg)
        get = control_reply if channel == "control" else shell_reply
        reply = get(kc, msg["header"]["msg_id"], timeout=10)
        validate(reply, "shutdown_reply")
        assert reply["content"]["restart"] is True
        deadline = time.monotonic() + 5
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not km.is_alive(), "kernel did not exit after shutdown_request"
        assert km.provisioner.process.returncode == 0


def test_graceful_shutdown_needs_no_kill():
    from jupyter_client.manager import _ShutdownStatus

    with running_kernel() as (km, kc):
        execute(kc, "1")
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        assert km._shutdown_status == _ShutdownStatus.ShutdownRequest, "the manager had to kill the kernel"


def test_restart_kernel_clears_state_and_keeps_history():
    tag = f"restart_{uuid.uuid4().hex[:8]}"
    with running_kernel() as (km, kc):
        first = execute(kc, f"{tag} = 42")
        assert first.status == "ok", first.why
        old_session = shell_reply(kc, kc.history(hist_access_type="tail", n=1, raw=True, output=False))
        session_before = old_session["content"]["history"][-1][0]

        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)

        after = execute(kc, tag)
        assert after.reply["content"]["ename"] == "NameError"
        assert after.reply["content"]["execution_count"] == 1

        # History is persisted across the restart, in an earlier session.
        reply = shell_reply(kc, kc.history(hist_access_type="search", pattern=f"{tag} = *", raw=True, output=False))
        rows = reply["content"]["history"]
        assert [r[2] for r in rows] == [f"{tag} = 42"]
        assert rows[0][0] == session_before
        tail = shell_reply(kc, kc.history(hist_access_type="tail", n=1, raw=True, output=False))
        assert tail["content"]["history"][-1][0] > session_before


def test_history_survives_a_killed_kernel():
    """Issue 8, "no data lost": cells recorded before a SIGKILL are read back by the next kernel."""
    tag = f"killed_{uuid.uuid4().hex[:8]}"
    with running_kernel() as (km, kc):
        for i in range(20):
            execute(kc, f"{tag}_{i} = {i}")
        km.restart_kernel(now=True)  # SIGKILL, then a fresh process
        kc.wait_for_ready(timeout=60)
        rows = shell_reply(kc, kc.history(hist_access_type="search", pattern=f"{tag}_*", raw=True, output=False))
        assert [r[2] for r in rows["content"]["history"]] == [f"{tag}_{i} = {i}" for i in range(20)]
        # And the file is still appendable: the new kernel records its own cells after the old ones.
        execute(kc, f"{tag}_after = 1")
        rows = shell_reply(kc, kc.history(hist_access_type="search", pattern=f"{tag}_*", raw=True, output=False))
        assert rows["content"]["history"][-1][2] == f"{tag}_after = 1"
