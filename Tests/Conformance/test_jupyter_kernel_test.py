"""jupyter_kernel_test's own suite against Fovea, with every sample attribute set (none of its tests skips).

Every message these tests receive goes through jupyter_kernel_test's schema validator (msgspec_v5). That
validator knows only the pre-5.1 status spelling `"abort"`; the spec's `"aborted"` execute_reply is therefore
checked by our own assertions in test_execute.py::test_stop_on_error_aborts_queued_cells.
"""

from __future__ import annotations

import jupyter_kernel_test as jkt

from kernelclient import KERNEL_NAME


class FoveaKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "fovea"
    file_extension = ".fovea"

    # print writes to stdout, warn to stderr (LANGUAGE.md, "Data and models").
    code_hello_world = 'print("hello, world")'
    code_stderr = 'warn("something to look at")'

    # Completion comes from the verb registry; each prefix names exactly one verb.
    completion_samples = [
        {"text": "prin", "matches": {"print"}},
        {"text": "x = sampl", "matches": {"samples"}},
        {"text": "slee", "matches": {"sleep"}},
    ]

    complete_code_samples = ["1 + 2", 'print("hi")', "x = [1, 2, 3]", 'd = {"a": 1}', "sleep(0)"]
    incomplete_code_samples = ["print(1,", "x = [1, 2", 'd = {"a": 1,', "(1 +\n2"]
    invalid_code_samples = [")", "x = ]", "print(1))", "1 +* 2"]

    # help(verb) answers with a `page` payload (pager), not with output.
    code_page_something = "help(print)"

    code_generate_error = "this_name_is_not_defined"

    # text/plain forms follow Python's repr, as a Jupyter user expects.
    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": "7 / 2", "result": "3.5"},
        {"code": "2 ** 10", "result": "1024"},
        {"code": "[1, 2, 3]", "result": "[1, 2, 3]"},
        {"code": 'image("sample:chelsea")', "mime": "image/png"},
    ]

    # show(x) publishes x at once as display_data.
    code_display_data = [
        {"code": 'show(image("sample:chelsea"))', "mime": "image/png"},
        {"code": 'show(image("sample:camera"))', "mime": "image/png"},
    ]

    # A glob that matches exactly one distinct cell of code_execute_result ("6*7"): `unique` must give 1 row.
    code_history_pattern = "6?7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "sleep"

    code_clear_output = 'print("soon gone"); clear()'


class FoveaIopubWelcomeTests(jkt.IopubWelcomeTests):
    kernel_name = KERNEL_NAME
    support_iopub_welcome = True
