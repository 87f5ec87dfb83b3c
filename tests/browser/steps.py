"""Steps both browser stories take: the demo history, an analyst, logging in, the screen sizes,
screenshots and the phone-width check."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
STEP_TIMEOUT_MS = 15_000
PAGE_WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"

Shot = Callable[[object, str], None]


def demo_history_ending_today() -> None:
    """A small demo history: 40 creatives over two months, ending today.

    It ends today because a brief ranks the year up to today; it loads in well under a second
    and still gives several nodes a few ranked pieces each.
    """
    call_command(
        "yenni_demo",
        "--creatives",
        "40",
        "--months",
        "2",
        "--end-date",
        timezone.localdate().isoformat(),
        stdout=StringIO(),
        stderr=StringIO(),
    )


def analyst_create(*, username: str, password: str, first_name: str) -> User:
    user = User.objects.create_user(username=username, password=password, first_name=first_name)
    user.groups.add(Group.objects.get(name="Analysts"))
    return user


def screenshot_taker(folder: Path, prefix: str = "") -> Shot:
    """shot(page, step) saves the whole page as <folder>/<prefix><step>.png."""

    def shot(page, step: str) -> None:
        page.screenshot(path=str(folder / f"{prefix}{step}.png"), full_page=True)

    return shot


def laptop_page(browser):
    """A new page in a fresh laptop-sized context, every step given STEP_TIMEOUT_MS."""
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context.new_page()


def log_in(page, base_url: str, *, username: str, password: str, shot: Shot | None = None):
    """Log in through the login form and land on the home page; shot before submitting."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    if shot:
        shot(page, "01-login")
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()
    page.wait_for_url(f"{base_url}/")


def phone_page(browser, signed_in_page, url: str):
    """url opened on a phone by the user signed in on signed_in_page; the answer is 200.

    Not is_mobile: mobile emulation zooms out to fit a too-wide page, and innerWidth would
    grow with it.
    """
    phone = browser.new_context(
        viewport=PHONE, storage_state=signed_in_page.context.storage_state()
    )
    page = phone.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    return page


def page_widths(page) -> tuple[int, int]:
    """The page's scrollWidth and the window's innerWidth: nothing too wide when the first is
    not larger."""
    scroll_width, inner_width = page.evaluate(PAGE_WIDTHS)
    return scroll_width, inner_width


# Runs before the page's own scripts on every navigation (Playwright injects it past the page's
# policy), so each violation of the Content-Security-Policy shows as a console error too.
POLICY_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    `CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline"}` +
      ` (${event.sourceFile || document.location.pathname}:${event.lineNumber})`
  );
});
"""


def problems_watched(page) -> list[str]:
    """The page's console errors, uncaught errors and policy violations, listed as they come.

    Chromium also logs a refused script or style as a console error; the listener above adds the
    violations it might word differently (a style attribute, an inline handler).
    """
    problems: list[str] = []
    page.add_init_script(POLICY_WATCH)
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    return problems


def inline_script_is_refused(page, problems: list[str]) -> None:
    """The watcher and the policy both work: an inline script added now is refused and reported.

    The reports it causes are taken off the list, so the caller's check stays "no problems".
    """
    before = len(problems)
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true";
          document.head.appendChild(script);
        }"""
    )
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.inlineRan === undefined")
    page.wait_for_timeout(200)
    caused = problems[before:]
    del problems[before:]
    assert any("script-src" in line for line in caused), caused
