"""The PyTorch side of a side-by-side benchmark, in its own process so its peak memory is its own.

    /work/torchenv/bin/python bench/common/torch_worker.py WORKLOADS.py --threads 2 --config '{"…": …}'

WORKLOADS.py defines `setup(config) -> dict[name, callable]`; each callable runs one repetition of a workload.
Requests arrive as JSON lines on stdin and get one JSON line on stdout:
    {"run": name}      → {"seconds": s}   (time of one call, perf_counter around it)
    {"quit": true}     → exits
Anything the workloads print goes to stderr, so stdout stays the protocol channel.
"""
import argparse
import importlib.util
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workloads")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--config", default="{}")
    args = parser.parse_args()

    protocol = sys.stdout
    sys.stdout = sys.stderr
    import torch

    torch.set_num_threads(args.threads)
    spec = importlib.util.spec_from_file_location("workloads", args.workloads)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    workloads = module.setup(json.loads(args.config))

    def reply(obj):
        protocol.write(json.dumps(obj) + "\n")
        protocol.flush()

    reply({"ready": True, "pid": os.getpid(), "torch": torch.__version__, "threads": torch.get_num_threads(),
           "capability": torch.backends.cpu.get_cpu_capability(),
           "mkldnn": torch.backends.mkldnn.is_available(), "workloads": sorted(workloads)})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        name = request["run"]
        start = time.perf_counter()
        workloads[name]()
        reply({"seconds": time.perf_counter() - start})
    return 0


if __name__ == "__main__":
    sys.exit(main())
