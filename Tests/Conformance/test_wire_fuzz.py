"""Bounded wire fuzzer (issue 8): random and mutated multipart messages on shell and control.

Sends at least 20,000 messages in under 3 minutes — missing delimiters, wrong or missing signatures,
truncated and extra frames, invalid UTF-8 and JSON, wrong JSON types in every header and content field,
unknown msg_types, fake routing-identity prefixes, 2,000 short-lived peers with their own identities, and a
few frames of 64 MB — checking every few hundred messages that the kernel still answers. At the end the
kernel must answer `kernel_info` on shell and control and a correctly signed `execute_request`, and must
have executed nothing that was not correctly signed.

The seed is FUZZ_SEED (default 3); the counts are printed (run pytest with -s to see them) and attached to
the test report.
"""

from __future__ import annotations

import collections
import json
import os
import random
import time
import uuid

import pytest
import zmq

from kernelclient import DELIM, connection_url, execute, header, parse_reply, recv_frames, running_kernel, sign

TOTAL = int(os.environ.get("FUZZ_MESSAGES", "20000"))
BUDGET_S = 170
CHECK_EVERY = 400
PEERS = 2000
SEED = int(os.environ.get("FUZZ_SEED", "3"))

# Code carried by every message that is NOT correctly signed: if any of it runs, this name gets bound.
UNSIGNED_CODE = "fuzz_unsigned_ran = 1"

REQUEST_TYPES = [
    "execute_request", "kernel_info_request", "complete_request", "inspect_request", "history_request",
    "is_complete_request", "comm_info_request", "comm_open", "comm_msg", "comm_close", "connect_request",
    "interrupt_request", "input_reply", "debug_request", "usage_request",
]
# Never sent correctly signed: it would (rightly) stop the kernel under test.
NEVER_SIGNED = {"shutdown_request"}


def odd_values(rng: random.Random) -> list:
    return [
        None, True, False, 0, -1, 2**63, -(2**70), 1.5e308, float("nan"), "", "x" * rng.randint(1, 3000),
        "\u0000\ud7ff\uffff", [], [1, "a", None], {}, {"nested": {"deep": [1, 2, {"x": None}]}}, "😀" * 50,
    ]


def valid_content(msg_type: str, rng: random.Random) -> dict:
    code = rng.choice(["1 + 1", "x = [1, 2", ")", "print(1)", "prin", "?sleep", "\"\\", "", "sleep(0)"])
    return {
        "execute_request": {"code": code, "silent": False, "store_history": rng.random() < 0.5,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": rng.random() < 0.5},
        "complete_request": {"code": code, "cursor_pos": rng.randint(-5, 20)},
        "inspect_request": {"code": code, "cursor_pos": rng.randint(-5, 20), "detail_level": rng.choice([0, 1, 7])},
        "history_request": {"output": False, "raw": True, "hist_access_type": rng.choice(["tail", "range", "search", "??"]),
                            "n": rng.choice([0, 1, 10, 10**9]), "session": rng.randint(-3, 3), "start": rng.randint(-5, 5),
                            "stop": rng.randint(-5, 5), "pattern": rng.choice(["*", "[", "**?[!]", ""]), "unique": True},
        "is_complete_request": {"code": code},
        "comm_open": {"comm_id": uuid.uuid4().hex, "target_name": "fuzz", "data": {}},
        "comm_msg": {"comm_id": uuid.uuid4().hex, "data": {}},
        "comm_close": {"comm_id": uuid.uuid4().hex, "data": {}},
        "input_reply": {"value": "x"},
    }.get(msg_type, {})


def mutate_types(obj: dict, rng: random.Random, touched: set | None = None) -> dict:
    """Replaces one or more fields with a value of another JSON type (adding each field's name to `touched`)."""
    out = dict(obj)
    keys = list(out) or ["code"]
    for key in rng.sample(keys, k=rng.randint(1, len(keys))):
        out[key] = rng.choice(odd_values(rng))
        if touched is not None:
            touched.add(key)
    if rng.random() < 0.2:
        out[rng.choice(["", "extra", "\u00e9"])] = rng.choice(odd_values(rng))
    return out


def dumps(x) -> bytes:
    return json.dumps(x, allow_nan=True).encode()


class Fuzzer:
    def __init__(self, key: bytes, rng: random.Random):
        self.key = key
        self.rng = rng
        self.counts: collections.Counter[str] = collections.Counter()
        # (msg_type, field) of every header and content field that was sent with a value of a wrong type.
        self.mistyped: set[tuple[str, str]] = set()

    def signed(self, hdr, parent, metadata, content) -> list[bytes]:
        parts = [x if isinstance(x, bytes) else dumps(x) for x in (hdr, parent, metadata, content)]
        return [DELIM, sign(self.key, parts), *parts]

    def unsigned_execute(self) -> list[bytes]:
        content = {"code": UNSIGNED_CODE, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": False}
        parts = [dumps(x) for x in (header("execute_request"), {}, {}, content)]
        good = sign(self.key, parts)
        kind = self.rng.choice(["wrong-key", "empty", "flipped", "truncated", "tampered"])
        sig = {
            "wrong-key": sign(b"wrong" + self.key, parts),
            "empty": b"",
            "flipped": good[:-1] + (b"0" if good[-1:] != b"0" else b"1"),
            "truncated": good[:32],
            "tampered": good,
        }[kind]
        if kind == "tampered":
            parts[3] = dumps({**content, "code": UNSIGNED_CODE + "; 2"})
        self.counts[f"unsigned execute ({kind})"] += 1
        return [DELIM, sig, *parts]

    def structural(self) -> list[bytes]:
        rng = self.rng
        hdr = dumps(header(rng.choice(REQUEST_TYPES)))
        kind = rng.choice(["no-delimiter", "only-delimiter", "truncated", "extra-buffers", "bad-utf8", "bad-json",
                           "json-not-object", "empty-frames", "random-bytes", "fake-identities", "delimiter-twice"])
        self.counts[f"structural ({kind})"] += 1
        if kind == "no-delimiter":
            return [b"sig", hdr, b"{}", b"{}", b"{}"]
        if kind == "only-delimiter":
            return [DELIM]
        if kind == "truncated":
            full = self.signed(header("kernel_info_request"), {}, {}, {})
            return full[: rng.randint(1, len(full) - 1)]
        if kind == "extra-buffers":
            return self.signed(header("kernel_info_request"), {}, {}, {}) + [os.urandom(rng.randint(0, 64)) for _ in range(rng.randint(1, 20))]
        if kind == "bad-utf8":
            bad = b'{"msg_id": "\xff\xfe", "msg_type": "kernel_info_request"}'
            return self.signed(bad, {}, {}, {})
        if kind == "bad-json":
            return self.signed(hdr, b"{", b"{}}", b'{"code": ')
        if kind == "json-not-object":
            return self.signed(rng.choice([b"[]", b"1", b'"s"', b"null"]), b"[]", b"1", b"true")
        if kind == "empty-frames":
            return [DELIM, b"", b"", b"", b"", b""]
        if kind == "random-bytes":
            return [os.urandom(rng.randint(0, 200)) for _ in range(rng.randint(1, 8))]
        if kind == "fake-identities":
            ids = [os.urandom(rng.randint(1, 16)) for _ in range(rng.randint(1, 300))]
            return ids + self.signed(header("kernel_info_request"), {}, {}, {})
        return [DELIM, DELIM] + self.signed(header("kernel_info_request"), {}, {}, {})

    def typed(self) -> list[bytes]:
        """Correctly signed, with wrong JSON types in header, parent, metadata or content fields."""
        rng = self.rng
        msg_type = rng.choice(REQUEST_TYPES + ["no_such_request", "", "x" * 500])
        hdr = header(msg_type)
        content = valid_content(msg_type, rng)
        where = rng.choice(["header", "content", "content", "parent", "metadata", "none"])
        touched: set[str] = set()
        if where == "header":
            hdr = mutate_types(hdr, rng, touched)
            if isinstance(hdr.get("msg_type"), str) and hdr["msg_type"] in NEVER_SIGNED:
                hdr["msg_type"] = "kernel_info_request"
            self.mistyped |= {("header", key) for key in touched}
        elif where == "content":
            content = mutate_types(content, rng, touched)
            self.mistyped |= {(msg_type, key) for key in touched}
        parent = mutate_types({"msg_id": "p"}, rng) if where == "parent" else {}
        metadata = mutate_types({"k": 1}, rng) if where == "metadata" else {}
        self.counts[f"signed, odd types in {where}"] += 1
        return self.signed(hdr, parent, metadata, content)

    def next(self) -> list[bytes]:
        r = self.rng.random()
        if r < 0.25:
            return self.unsigned_execute()
        if r < 0.6:
            return self.structural()
        return self.typed()


def _alive(sock: zmq.Socket, key: bytes, timeout: float = 15) -> bool:
    hdr = header("kernel_info_request")
    parts = [dumps(x) for x in (hdr, {}, {}, {})]
    sock.send_multipart([DELIM, sign(key, parts), *parts])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = recv_frames(sock, deadline - time.monotonic())
        if got is None:
            return False
        try:
            _, parent, _ = parse_reply(got)
        except (ValueError, json.JSONDecodeError):
            continue
        if parent.get("msg_id") == hdr["msg_id"]:
            return True
    return False


@pytest.mark.fuzz
@pytest.mark.timeout(240)
def test_wire_fuzzing_never_breaks_the_kernel(record_property):
    rng = random.Random(SEED)
    with running_kernel() as (km, kc):
        info = km.get_connection_info()
        key = km.session.key
        ctx = zmq.Context.instance()

        def dealer(channel: str, identity: bytes | None = None) -> zmq.Socket:
            s = ctx.socket(zmq.DEALER)
            s.linger = 0
            s.sndhwm = 100_000
            s.rcvhwm = 100_000
            if identity:
                s.identity = identity
            s.connect(connection_url(info, channel))
            return s

        targets = {"shell": dealer("shell"), "control": dealer("control")}
        probe = dealer("shell", b"probe")
        fuzzer = Fuzzer(key, rng)
        sent = replies = 0
        t0 = time.monotonic()
        checks = 0

        def drain() -> int:
            n = 0
            for s in targets.values():
                while s.poll(0):
                    s.recv_multipart()
                    n += 1
            return n

        # Phase 1: a few huge frames (64 MB), on both channels.
        huge = os.urandom(1024) * (64 * 1024)
        for channel in ("shell", "control"):
            parts = [DELIM, b"0" * 64, dumps(header("execute_request")), b"{}", b"{}", huge]
            targets[channel].send_multipart(parts, copy=False)
            fuzzer.counts["huge frame (64 MB), bad signature"] += 1
            sent += 1
        del huge
        assert _alive(probe, key, timeout=30), "kernel stopped answering after 64 MB frames"

        # Phase 2: 2,000 peers with their own routing identities, each sending one valid and one broken message, in
        # batches of 200 open at once; each peer must get its own kernel_info reply, routed back by identity.
        routed = 0
        for batch in range(0, PEERS, 200):
            peers = []
            for i in range(batch, min(PEERS, batch + 200)):
                s = dealer(rng.choice(["shell", "control"]), identity=b"peer-%d-" % i + os.urandom(4))
                hdr = header("kernel_info_request")
                s.send_multipart(fuzzer.signed(hdr, {}, {}, {}))
                s.send_multipart(fuzzer.structural())
                peers.append((s, hdr["msg_id"]))
                sent += 2
                fuzzer.counts["short-lived peer"] += 1
            for s, msg_id in peers:
                got = recv_frames(s, 30)
                if got is not None and parse_reply(got)[1].get("msg_id") == msg_id:
                    routed += 1
                s.close()
        assert routed == PEERS, f"only {routed} of {PEERS} peers got their reply"
        assert _alive(probe, key), f"kernel stopped answering after {PEERS} peers"

        # Phase 3: the random stream.
        while sent < TOTAL and time.monotonic() - t0 < BUDGET_S:
            channel = "control" if rng.random() < 0.3 else "shell"
            targets[channel].send_multipart(fuzzer.next())
            sent += 1
            if sent % 50 == 0:
                replies += drain()
            if sent % CHECK_EVERY == 0:
                checks += 1
                assert _alive(probe, key), f"kernel stopped answering after {sent} messages"
        elapsed = time.monotonic() - t0
        replies += drain()

        # After it all: still answering on shell and control (each reply comes after everything queued
        # before it on that channel), executes signed code, and ran nothing that was not correctly signed.
        assert km.is_alive()
        assert _alive(probe, key, timeout=60)
        control_probe = dealer("control")
        assert _alive(control_probe, key, timeout=60), "control channel stopped answering"
        published = _drain_iopub(kc)
        fuzzer.counts["iopub messages seen"] = len(published)
        ran = [m for m in published if m["msg_type"] == "execute_input" and "fuzz_unsigned_ran" in str(m["content"].get("code"))]
        assert ran == [], f"unsigned code was executed: {ran[:3]}"
        assert execute(kc, "6*7", timeout=60).result_text == "42"
        leaked = execute(kc, "fuzz_unsigned_ran", timeout=60)
        assert leaked.reply["content"].get("ename") == "NameError", "a message that was not correctly signed ran"

        for s in [*targets.values(), probe, control_probe]:
            s.close()

    # Every field of every request's content, and every header field, went out with a value of a wrong type.
    fields = {(t, k) for t in REQUEST_TYPES for k in valid_content(t, random.Random(0))}
    fields |= {("header", k) for k in header("execute_request")}
    unmistyped = sorted(fields - fuzzer.mistyped)
    summary = {"sent": sent, "seconds": round(elapsed, 1), "replies_seen": replies, "liveness_checks": checks,
               "seed": SEED, "routing_identities": PEERS + 3, "peers_answered": routed, "fields_sent_mistyped": len(fields & fuzzer.mistyped),
               **dict(sorted(fuzzer.counts.items()))}
    record_property("wire_fuzz", json.dumps(summary))
    print("\nwire fuzz:", json.dumps(summary, indent=1))
    assert not unmistyped or TOTAL < 20_000, f"fields never sent with a wrong type: {unmistyped}"
    assert sent >= 20_000 or TOTAL < 20_000, f"only {sent} messages in {BUDGET_S} s"
    assert elapsed < 180


def _drain_iopub(kc) -> list[dict]:
    out = []
    while True:
        try:
            out.append(kc.get_iopub_msg(timeout=0.2))
        except Exception:
            return out
