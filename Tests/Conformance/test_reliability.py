"""Reliability checks of issue 8 that run in bounded time: an interrupt storm and concurrent kernels."""

from __future__ import annotations

import copy
import os
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kernelclient import collect_iopub, control_reply, execute, running_kernel, shell_reply

REPO = Path(__file__).resolve().parents[2]
STORM = 100


# Long verbs of every kind the storm interrupts: waiting, optimisation (synthesis, class visualisation), batched
# inference (occlusion, SmoothGrad), t-SNE (neighbours, calibration, descent) and training. Each would run for
# minutes; every one must stop within 1 s of the interrupt, wherever in its work the interrupt lands.
STORM_SETUP = """net = model("random-multiscale")
cat = image("sample:chelsea", size=64)
le = model("lenet")
data = dataset("fashion-mnist", limit=512)
pts = tensor([[1, 2, 3], [4, 5, 7], [0, 1, 1], [3, 3, 1]] * 400)"""
STORM_CELLS = [
    "sleep(30)",
    "texture(net, cat, steps=10000, size=64)",
    "deepdream(net, cat, net.layers[1], steps=10000, octaves=1)",
    "classvis(le, 3, steps=10000)",
    "occlusion(net, cat, patch=2, stride=1)",
    'saliency(net, cat, method="smoothgrad", samples=1000)',
    "tsne(pts, iterations=100000)",
    "train(\"lenet\", data, epochs=1000)",
]


@pytest.mark.timeout(300)
def test_interrupt_storm(record_property):
    """100 interrupts of long verbs, alternating SIGINT and interrupt_request and landing at different points of
    the work: each ends the cell within 1 s with `Interrupted`, and the session stays consistent (names,
    execution count)."""
    with running_kernel("fovea-message") as (km, kc):
        setup = execute(kc, STORM_SETUP + "\nsurvivor = 0", timeout=120)
        assert setup.status == "ok", setup.why
        first = execute(kc, "1").reply["content"]["execution_count"]
        latencies: dict[str, list[float]] = {code: [] for code in STORM_CELLS}
        for i in range(STORM):
            code = STORM_CELLS[i % len(STORM_CELLS)]
            cell = kc.execute(code)
            while True:
                m = kc.get_iopub_msg(timeout=10)
                if m["parent_header"].get("msg_id") == cell and m["msg_type"] == "execute_input":
                    break
            time.sleep(0.02 + 0.07 * (i % 5))  # vary where in the verb's work the interrupt lands
            t0 = time.monotonic()
            if i % 2 == 0:
                km.provisioner.process.send_signal(2)  # SIGINT, as interrupt_mode "signal" does
            else:
                msg = kc.session.msg("interrupt_request", {})
                kc.control_channel.send(msg)
                control_reply(kc, msg["header"]["msg_id"], timeout=5)
            reply = shell_reply(kc, cell, timeout=30)
            latencies[code].append(time.monotonic() - t0)
            collect_iopub(kc, cell)
            assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "Interrupted", (code, reply["content"])
        assert km.is_alive()
        assert execute(kc, "survivor + 1").result_text == "1"
        assert execute(kc, "cat.shape").result_text == "[64, 96, 3]"
        # Each of the 100 interrupted cells counted once.
        assert execute(kc, "2").reply["content"]["execution_count"] == first + STORM + 3
    every = sorted(t for ts in latencies.values() for t in ts)
    per_verb = {code.split("(")[0]: round(max(ts) * 1e3) for code, ts in latencies.items()}
    record_property("interrupt_latency_ms", {"median": statistics.median(every) * 1e3, "max": every[-1] * 1e3, "max_per_verb": per_verb})
    print(f"\ninterrupt storm: {STORM} interrupts of {len(STORM_CELLS)} long verbs, median "
          f"{statistics.median(every) * 1e3:.1f} ms, max {every[-1] * 1e3:.1f} ms; max per verb (ms): {per_verb}")
    slow = {code: round(max(ts), 2) for code, ts in latencies.items() if max(ts) >= 1.0}
    assert not slow, f"interrupts that took 1 s or more: {slow}"


# A progress line's elapsed time ("searching 500 images: 500/500 [####] 100% 1.3s"), see LiveDisplay.swift.
PROGRESS_ELAPSED = re.compile(r"^(.*?: \d+(?:/\d+ \[[#.]+\] \d+%)?) \d+\.\ds\b")


def _outputs(nb) -> list:
    """The notebook's outputs without what legitimately varies between runs: execution counts, and the elapsed
    time that progress lines end with (a busy machine takes longer; everything else must be the same)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for o in cell.outputs:
                o = copy.deepcopy(o)
                o.pop("execution_count", None)
                if o.get("output_type") == "display_data":
                    for mime in ("text/plain", "text/html"):
                        if isinstance(o.get("data", {}).get(mime), str):
                            o["data"][mime] = PROGRESS_ELAPSED.sub(r"\1 <elapsed>", o["data"][mime])
                out.append(o)
    return out


def _run(path: Path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
    return _outputs(nb)


def _fashion_cnn_cached() -> bool:
    """Whether a trained fashion-cnn is in the kernel's model cache ($FOVEA_CACHE, else ~/.cache/fovea)."""
    cache = Path(os.environ.get("FOVEA_CACHE") or Path.home() / ".cache" / "fovea")
    return any(cache.glob("fashion-cnn-*.safetensors"))


@pytest.mark.timeout(300)
def test_four_kernels_at_once_give_the_same_outputs_as_one():
    # The tour starts by loading fashion-cnn; a kernel trains it on first use, which a debug build takes well over
    # this test's 300 s for (under a minute for a release build). ./scripts/test runs this test again after the
    # notebooks, whose release kernel has trained and cached it by then.
    if not _fashion_cnn_cached():
        pytest.skip("needs fashion-cnn trained and cached: run any notebook on a release kernel first "
                    "(./scripts/test reruns this test after its notebooks step)")
    path = REPO / "notebooks" / "00-tour.ipynb"
    alone = _run(path)
    assert alone, "the tour produced no outputs"
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda _: _run(path), range(4)))
    for outputs in together:
        assert outputs == alone
    print(f"\nconcurrency: 4 kernels ran {path.name} at once; each gave the same {len(alone)} outputs as one alone")
