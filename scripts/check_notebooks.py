"""Executes notebooks headless with nbclient (kernel from each notebook's kernelspec) and checks them.

Before running, a notebook must be committed clean: no outputs, no execution counts, and a markdown first cell
(what the lecture says and what to look for). After running, a notebook passes when every cell ran, no output is
an error, and every visualization cell showed a picture (`image/png` or `image/svg+xml`). Every code cell is a
visualization cell unless it is tagged `text` (tools/make_notebooks.py writes the tags); a cell tagged `imagenet`
may instead end at its `requires` line ("skipped: …") — but only while the ImageNet model it needs is missing.

The executed copies go to --output-dir; with --html DIR, each is also written as DIR/<name>.html (nbconvert's
HTML exporter, pictures inline), and a picture missing from the page fails the notebook.
Ends with one line `notebooks: N passed, M failed`.
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
# The ImageNet model the `imagenet` cells need, relative to the notebook (tools/make_notebooks.py: IMAGENET_MODEL).
REQUIRES = re.compile(r'requires\("([^"]+)"')
# nbconvert's HTML: one <div class="jp-Cell jp-CodeCell …"> per code cell, and a picture is an inline <img> there.
HTML_CODE_CELL = re.compile(r'<div class="jp-Cell jp-CodeCell')
HTML_PICTURE = re.compile(r'<img [^>]*src="data:image/')


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def wants_picture(cell) -> bool:
    return cell.cell_type == "code" and "text" not in tags(cell)


def committed_problems(nb: nbformat.NotebookNode) -> list[str]:
    """What is wrong with the notebook as committed (before running it)."""
    found = []
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        found.append("cell 0: the first cell must be markdown (what the lecture says, what to look for)")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            found.append(f"cell {index}: committed with outputs (regenerate with tools/make_notebooks.py)")
    return found


def output_problems(nb: nbformat.NotebookNode, folder: Path) -> list[str]:
    """What is wrong with the executed notebook's outputs."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        for out in outputs:
            if out.output_type == "error":
                found.append(f"cell {index}: {out.ename}: {ANSI.sub('', out.evalue)}")
        if not wants_picture(cell) or any(t in out.get("data", {}) for out in outputs for t in IMAGE_TYPES):
            continue
        text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
        needed = REQUIRES.search(cell.source)
        if "imagenet" in tags(cell) and needed and text.startswith("skipped:"):
            if (folder / needed.group(1)).exists():
                found.append(f"cell {index}: skipped although {needed.group(1)} exists: {text.strip()}")
            continue
        found.append(f"cell {index}: a visualization cell (not tagged `text`) that showed no picture")
    return found


def html_problems(html: str, nb: nbformat.NotebookNode) -> list[str]:
    """Every cell that produced a picture shows it in the HTML page."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    chunks = HTML_CODE_CELL.split(html)[1:]
    if len(chunks) != len(code):
        return [f"the HTML has {len(chunks)} code cells, the notebook {len(code)}"]
    found = []
    for cell, chunk in zip(code, chunks):
        has_picture = any(t in out.get("data", {}) for out in cell.get("outputs", []) for t in IMAGE_TYPES)
        if has_picture and not HTML_PICTURE.search(chunk):
            found.append(f"cell {nb.cells.index(cell)}: its picture is missing from the HTML page")
    return found


def run(path: Path, output_dir: Path, html_dir: Path | None, timeout: int) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    problems = committed_problems(nb)
    client = NotebookClient(nb, timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        text = ANSI.sub("", str(error)).strip()
        problems.append(text.splitlines()[-1] if text else type(error).__name__)
    finally:
        output_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, output_dir / path.name)
    problems += output_problems(nb, path.parent)
    if html_dir is not None:
        from nbconvert import HTMLExporter

        html, _ = HTMLExporter().from_notebook_node(nb)
        html_dir.mkdir(parents=True, exist_ok=True)
        (html_dir / f"{path.stem}.html").write_text(html, encoding="utf-8")
        problems += html_problems(html, nb)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--output-dir", type=Path, default=Path("out/executed"))
    parser.add_argument("--html", type=Path, help="also write each executed notebook as HTML into this folder")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args()

    notebooks = [p for p in args.notebooks if p.exists()]
    passed = failed = 0
    for path in notebooks:
        t0 = time.monotonic()
        problems = run(path, args.output_dir, args.html, args.timeout)
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
