"""scripts/check_notebooks.py's judgement, on hand-made notebooks (no kernel): what makes a notebook fail.
The notebook runs themselves happen in ./scripts/test and ./scripts/run; these tests make sure the checks there
can fail, for each rule the README states."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_notebooks", REPO / "scripts" / "check_notebooks.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)

PNG = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
TEXT = new_output("execute_result", data={"text/plain": "[28, 28]"}, execution_count=1)
SKIPPED = new_output("stream", name="stdout", text="skipped: imagenet/m.onnx not found — export it\n")


def executed(*cells):
    nb = new_notebook(cells=[new_markdown_cell("# what the lecture says")])
    for source, outputs, tags in cells:
        cell = new_code_cell(source, metadata={"tags": tags} if tags else {})
        cell.outputs = outputs
        nb.cells.append(cell)
    return nb


def test_a_picture_cell_with_a_picture_and_a_text_cell_without_pass(tmp_path):
    nb = executed(("filters(net)", [PNG], []), ("feats.shape", [TEXT], ["text"]))
    assert check.output_problems(nb, tmp_path) == []


def test_a_visualization_cell_without_a_picture_fails(tmp_path):
    nb = executed(("filters(net)", [TEXT], []))
    assert check.output_problems(nb, tmp_path) == [
        "cell 1: a visualization cell (not tagged `text`) that showed no picture"]


def test_an_error_output_fails_even_in_a_text_cell(tmp_path):
    error = new_output("error", ename="ValueError", evalue="\x1b[31mbad\x1b[0m", traceback=[])
    nb = executed(("x = 1", [error], ["text"]))
    assert check.output_problems(nb, tmp_path) == ["cell 1: ValueError: bad"]


def test_an_imagenet_cell_may_be_skipped_only_while_the_model_is_missing(tmp_path):
    nb = executed(('requires("imagenet/m.onnx", hint="…")\nsq = model("imagenet/m.onnx")', [SKIPPED], ["imagenet"]))
    assert check.output_problems(nb, tmp_path) == []
    (tmp_path / "imagenet").mkdir()
    (tmp_path / "imagenet" / "m.onnx").write_bytes(b"")
    problems = check.output_problems(nb, tmp_path)
    assert len(problems) == 1 and problems[0].startswith("cell 1: skipped although imagenet/m.onnx exists")


def test_a_skip_line_does_not_excuse_an_untagged_cell(tmp_path):
    nb = executed(('requires("imagenet/m.onnx", hint="…")', [SKIPPED], []))
    assert len(check.output_problems(nb, tmp_path)) == 1


def test_committed_outputs_and_a_missing_introduction_fail():
    nb = new_notebook(cells=[new_code_cell("filters(net)")])
    assert check.committed_problems(nb) == [
        "cell 0: the first cell must be markdown (what the lecture says, what to look for)"]
    nb = executed(("filters(net)", [PNG], []))
    assert check.committed_problems(nb) == [
        "cell 1: committed with outputs (regenerate with tools/make_notebooks.py)"]


def test_the_html_page_must_show_every_picture(tmp_path):
    nb = executed(("filters(net)", [PNG], []), ("feats.shape", [TEXT], ["text"]))
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(nb)
    assert check.html_problems(html, nb) == []
    stripped = html.replace('src="data:image/png', 'src="missing.png')
    assert check.html_problems(stripped, nb) == ["cell 1: its picture is missing from the HTML page"]


def test_the_committed_notebooks_are_clean_and_tagged():
    """The notebooks in notebooks/ as committed: no outputs, an introduction, and what tools/make_notebooks.py
    writes (so their tags are the generator's)."""
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert check.committed_problems(nb) == [], path.name
        assert nb.metadata.language_info.pygments_lexer == "python", path.name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any("text" not in check.tags(c) for c in code), f"{path.name} has no visualization cell"


def test_the_committed_notebooks_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_notebooks", REPO / "tools" / "make_notebooks.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    assert sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb")) == sorted(n for n, _ in make.NOTEBOOKS)
    for name, cells in make.NOTEBOOKS:
        on_disk = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
        assert on_disk == make.notebook(cells, name), f"{name}.ipynb differs: run python3 tools/make_notebooks.py"
