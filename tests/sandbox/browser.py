"""Driving the sandbox page in Debian's headless Chromium (selenium), as a person would.

Every wait is on a condition (WebDriverWait); the page re-renders on every change, so
lookups and clicks are retried when an element went stale under them.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pypdf import PdfReader
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.requirements import unavailable

T = TypeVar("T")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
TIMEOUT = 30.0
RETRY = (StaleElementReferenceException, NoSuchElementException,
         ElementClickInterceptedException)  # fmt: skip
SCREENSHOTS = os.environ.get("SANDBOX_SCREENSHOTS")  # a folder: scripts/screenshots sets it


def chromium() -> Iterator[WebDriver]:
    """A headless Chromium from the system (never downloaded); skips when there is none."""
    if not CHROMIUM or not CHROMEDRIVER:
        unavailable(
            "no chromium/chromedriver on PATH: scripts/test installs Debian's "
            "chromium and chromium-driver for the sandbox page's browser tests"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,860", "--lang=en-US"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def pdf_text(url: str) -> str:
    """The text of the PDF at `url` (pdftotext when installed, else pypdf)."""
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.headers["Content-Type"] == "application/pdf"
        content = answer.read()
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True,
                              check=True)  # fmt: skip
        return done.stdout.decode()
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


class ChatPage:
    """The page in the browser: what a person sees and does."""

    def __init__(self, driver: WebDriver, url: str) -> None:
        self.driver = driver
        self.url = url

    def open(self) -> ChatPage:
        self.driver.get(self.url)
        self.until(lambda: len(Select(self.one("select[name=user]")).options) > 1, "people")
        return self

    def until(self, condition: Callable[[], T], what: str, timeout: float = TIMEOUT) -> T:
        wait = WebDriverWait(self.driver, timeout, 0.1, ignored_exceptions=RETRY)
        result: T = wait.until(lambda _: condition(), f"waiting for {what}")
        return result

    def one(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        return self.until(lambda: self.one(css).text, css)

    def be(self, user_id: str) -> None:
        Select(self.one("select[name=user]")).select_by_value(user_id)

    def command(self, text: str) -> None:
        box = self.one("#composer-input")
        box.send_keys(text, Keys.ENTER)

    def tab(self, name: str) -> None:
        self.one(f"#tab-{name}").click()

    def message(self, where: str, containing: str) -> WebElement:
        """The first `.message` in `where` (a CSS container) whose text has `containing`."""

        def find() -> WebElement | bool:
            for node in self.all(f"{where} .message"):
                if containing in node.text:
                    return node
            return False

        found = self.until(find, f"a message with {containing!r} in {where}")
        assert isinstance(found, WebElement)
        return found

    def open_thread(self, containing: str) -> None:
        def click() -> bool:
            message = self.message("#channel-messages", containing)
            message.find_element(By.CSS_SELECTOR, "button.replies-link").click()
            return self.one("#thread-pane").is_displayed()

        self.until(click, f"the thread of {containing!r}")

    def click(self, where: str, label: str) -> None:
        """Click the button labelled exactly `label` in `where`."""

        def click() -> bool:
            for button in self.all(f"{where} button.btn"):
                if button.text == label:
                    button.click()
                    return True
            return False

        self.until(click, f"a {label!r} button in {where}")

    def thread_shows(self, *words: str, timeout: float = TIMEOUT) -> str:
        def shows() -> str | bool:
            text = self.one("#thread-messages").text
            return text if all(w in text for w in words) else False

        return str(self.until(shows, f"{words} in the thread", timeout))

    def file_links(self, where: str) -> list[str]:
        return [str(a.get_attribute("href")) for a in self.all(f"{where} a.file-link")]

    def shot(self, name: str) -> None:
        """Save a screenshot when SANDBOX_SCREENSHOTS names a folder (scripts/screenshots)."""
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)
