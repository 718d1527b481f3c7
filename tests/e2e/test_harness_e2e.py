"""The harness itself, on a plain ipywidgets notebook: if this fails, the widget tests' failures
say nothing about gradviz (server, browser, kernel-ready wait or cell re-run are broken)."""
import pytest

pytestmark = pytest.mark.browser


def test_typed_value_in_plain_widget_reaches_kernel(e2e):
    nb = e2e.open([
        "import ipywidgets as W\nbox = W.IntText(value=3, description='n')\nbox",
        "print('kernel n =', box.value)",
    ])
    nb.run_all()
    nb.wait_executed(1)
    assert nb.output_text(1) == "kernel n = 3"
    field = nb.panel.locator(".widget-text input[type='number']")
    field.click()
    field.press("Control+a")
    e2e.page.keyboard.type("42")
    field.press("Enter")
    nb.rerun_until(1, lambda out: out == "kernel n = 42")
