import pytest

from tests.browser.harness import launch_browser, streamlit_server


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    with streamlit_server(env={"OPTIM_LAB_RUNS_DIR": str(runs)}) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
