"""JupyterLab in a real browser (issue 9): headless Debian Chromium, driven by selenium through Debian's
chromedriver, opens JupyterLab (from PyPI), creates a notebook from the launcher's *Fovea* card, types a
saliency cell, runs it with Shift+Enter and waits for the picture to appear in the output area. A screenshot
goes to $FOVEA_CI_LOGS (default .build/ci-logs)/jupyterlab-saliency.png, pass or fail.

The first `model("fashion-cnn")` on a machine trains the network; ./scripts/test runs the notebooks (which do
that) first, so the cache under ~/.cache/fovea is normally warm here. FOVEA_BROWSER_TIMEOUT (seconds, default
600) bounds the wait for the output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from jupyterlab_server import JupyterLab

REPO = Path(__file__).resolve().parents[2]
LOGS = Path(os.environ.get("FOVEA_CI_LOGS", REPO / ".build" / "ci-logs"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CELL = 'saliency(model("fashion-cnn"), dataset("fashion-mnist")[0])'
OUTPUT_TIMEOUT = float(os.environ.get("FOVEA_BROWSER_TIMEOUT", "600"))


@pytest.fixture
def lab():
    workdir = Path(tempfile.mkdtemp(prefix="fovea-jupyterlab-"))
    server = JupyterLab(workdir)
    server.start()
    yield server
    server.stop()
    if os.environ.get("FOVEA_KEEP_LAB_LOG"):
        print(server.log_text())
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(f"{CHROMIUM} or {CHROMEDRIVER} missing: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--no-first-run", "--disable-extensions"]:
        options.add_argument(arg)
    # The system chromedriver, named explicitly: selenium must not try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def screenshot(driver, name: str) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / name
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def test_saliency_cell_in_jupyterlab_shows_an_image(lab, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    specs = lab.kernelspecs()["kernelspecs"]
    assert "fovea" in specs, f"JupyterLab does not list the fovea kernelspec; it has {sorted(specs)}"
    print("kernel:", " ".join(specs["fovea"]["spec"]["argv"]))

    browser.get(lab.url)
    wait = WebDriverWait(browser, 120)
    try:
        # The launcher's card for the kernel: a new notebook with the Fovea kernel.
        card = wait.until(EC.element_to_be_clickable(
            (By.CSS_SELECTOR, '.jp-LauncherCard[data-category="Notebook"][title="Fovea"]')))
        card.click()
        editor = wait.until(EC.element_to_be_clickable(
            (By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell.jp-CodeCell .cm-content")))
        # The kernel indicator of the new notebook names Fovea, and the kernel gets to idle: Shift+Enter before
        # the session is connected moves to the next cell without running anything (seen on a loaded machine).
        wait.until(EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar .jp-KernelName"), "Fovea"))
        wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '.jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status="idle"]')))
        editor.click()
        editor.send_keys(CELL)
        wait.until(lambda d: CELL in d.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel .cm-content").text)
        editor.send_keys(Keys.SHIFT, Keys.ENTER)

        first_cell = ".jp-NotebookPanel .jp-Cell.jp-CodeCell:first-of-type"
        # The cell was sent to the kernel: its prompt shows [*] (running) or its execution count.
        WebDriverWait(browser, 60).until(lambda d: d.find_element(
            By.CSS_SELECTOR, f"{first_cell} .jp-InputArea-prompt").text.strip() not in ("", "[ ]:"))
        image = WebDriverWait(browser, OUTPUT_TIMEOUT).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, f"{first_cell} .jp-OutputArea-output img")))
        # The picture decoded to a real size, and the cell shows no error.
        WebDriverWait(browser, 30).until(lambda d: image.get_property("naturalWidth") > 0)
        # JupyterLab renders the richest form the kernel sent: figures come as SVG (with the picture embedded) and PNG.
        mime = image.find_element(By.XPATH, "ancestor::*[@data-mime-type][1]").get_attribute("data-mime-type")
        assert mime in ("image/svg+xml", "image/png"), mime
        assert image.get_attribute("src").startswith(f"data:{mime}"), image.get_attribute("src")[:80]
        errors = browser.find_elements(
            By.CSS_SELECTOR, f'{first_cell} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert not errors, errors[0].text
        prompt = browser.find_element(By.CSS_SELECTOR, f"{first_cell} .jp-InputArea-prompt").text
        assert prompt.strip() == "[1]:", prompt
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", image)
    finally:
        screenshot(browser, "jupyterlab-saliency.png")
        shutil.copy(lab.log_path, LOGS / "jupyterlab.log")
