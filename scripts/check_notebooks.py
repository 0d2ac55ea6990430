"""Executes notebooks headless with nbclient (kernel from each notebook's kernelspec) and checks their outputs.

A notebook passes when every cell runs, no output is an error, and every cell that has an image in its
outputs — or that is tagged `picture` — really produced one (`image/png` or `image/svg+xml`).
The executed copies are written to --output-dir for inspection. Ends with one line `notebooks: N passed, M failed`.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

IMAGE_TYPES = ("image/png", "image/svg+xml")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def problems_in(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        for out in outputs:
            if out.output_type == "error":
                found.append(f"cell {index}: {out.ename}: {ANSI.sub('', out.evalue)}")
        wants_picture = "picture" in cell.get("metadata", {}).get("tags", [])
        has_picture = any(t in out.get("data", {}) for out in outputs for t in IMAGE_TYPES)
        if wants_picture and not has_picture:
            found.append(f"cell {index}: tagged `picture` but produced no image")
    return found


def run(path: Path, output_dir: Path, timeout: int) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        text = ANSI.sub("", str(error)).strip()
        return [text.splitlines()[-1] if text else type(error).__name__]
    finally:
        output_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, output_dir / path.name)
    return problems_in(nb)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--output-dir", type=Path, default=Path("out/executed"))
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()

    notebooks = [p for p in args.notebooks if p.exists()]
    passed = failed = 0
    for path in notebooks:
        t0 = time.monotonic()
        problems = run(path, args.output_dir, args.timeout)
        took = time.monotonic() - t0
        if problems:
            failed += 1
            print(f"FAIL {path} ({took:.1f} s)")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   {path} ({took:.1f} s)")
    print(f"notebooks: {passed} passed, {failed} failed")
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
