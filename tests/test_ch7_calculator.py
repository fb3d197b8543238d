"""Chapter 7's τ calculator: the Python reference, the live ipywidgets twin, and the static
twin driven in a headless Chromium (skipped without one, as tests/test_browser.py does)."""

from __future__ import annotations

import math
import shutil

import pytest

from helpers.ch7 import calculator, timescale

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_compute_matches_the_timescale_functions_at_the_defaults():
    values = calculator.defaults()
    out = calculator.compute(values)
    # LLaMA-7B: 1/(3e-4 · 0.1) = 33,333 steps; B·L = 4,194,304 tokens; D = 1e12 tokens
    assert out["tau_iter"] == pytest.approx(1 / 3e-5)
    assert out["steps"] == pytest.approx(1e12 / 2048**2)
    assert out["tau_epoch"] == pytest.approx(2048**2 / (3e-4 * 0.1 * 1e12))
    assert out["run_fraction"] == pytest.approx(out["tau_iter"] / out["steps"])
    assert out["surviving"] == pytest.approx(math.exp(-3e-5 * out["steps"] / 2))
    # twice the batch and twice the data at the same η: τ_epoch is kept by the same λ
    assert out["new_lambda"] == pytest.approx(0.1)
    new = calculator.compute({**values, "new_batch": 2048, "new_data": 1e12, "new_lr": 1.5e-4})
    assert new["new_lambda"] == pytest.approx(0.2)  # half η → twice λ keeps ηλ


def test_lambda_zero_gives_infinite_timescales_and_nothing_forgotten():
    out = calculator.compute({**calculator.defaults(), "weight_decay": 0.0})
    assert math.isinf(out["tau_iter"]) and math.isinf(out["tau_epoch"])
    assert out["surviving"] == 1.0 and out["new_lambda"] == 0.0
    assert calculator.format_number(out["tau_iter"]) == "∞"


@pytest.mark.parametrize(
    "name, bad",
    [("lr", 0.0), ("batch", -1.0), ("weight_decay", -0.1), ("length", math.nan), ("new_data", 0.0)],
)
def test_bad_input_names_the_field(name, bad):
    with pytest.raises(ValueError, match=name):
        calculator.compute({**calculator.defaults(), name: bad})


def test_live_calculator_updates_and_shows_a_bad_input_without_crashing():
    box = calculator.live_calculator()
    assert box.outputs["tau_iter"].value == calculator.format_number(1 / 3e-5)
    box.inputs["weight_decay"].value = 0.2
    assert box.outputs["tau_iter"].value == calculator.format_number(1 / 6e-5)
    box.inputs["schedule"].value = "constant"
    expected = calculator.compute(
        {**calculator.defaults(), "weight_decay": 0.2, "schedule": "constant"}
    )
    assert box.outputs["surviving"].value == calculator.format_number(expected["surviving"])
    box.inputs["lr"].value = 0.0
    assert "lr" in box.message.value and box.outputs["tau_iter"].value == "—"


def test_static_calculator_is_self_contained_and_labelled():
    page = calculator.static_calculator().data
    assert "src=" not in page and "http" not in page and "<link" not in page
    for field in calculator.FIELDS:
        assert f'name="{field.name}"' in page
    assert page.count("<label for=") == len(calculator.FIELDS) + 1


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_static_calculator_in_a_browser_agrees_with_compute(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "calc.html"
    page_file.write_text(
        "<!doctype html><meta charset=utf-8><body>"
        + calculator.static_calculator().data
        + "</body>",
        encoding="utf-8",
    )
    cases = [
        {},
        {"weight_decay": 0.0},
        {
            "lr": 1e-3,
            "weight_decay": 0.05,
            "batch": 32,
            "length": 1,
            "data": 1024,
            "epochs": 50,
            "schedule": "linear",
            "new_data": 4096,
        },
    ]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(page_file.as_uri())
        for case in cases:
            values = {**calculator.defaults(), **case}
            for name, value in case.items():
                if name == "schedule":
                    page.select_option(f'[name="{name}"]', value)
                else:
                    page.fill(f'[name="{name}"]', repr(value))
            expected = calculator.compute(values)
            for key, _ in calculator.OUTPUTS:
                shown = page.text_content(f'output[data-key="{key}"]')
                if math.isinf(expected[key]):
                    assert shown == "∞", key
                else:
                    assert float(shown) == pytest.approx(expected[key], rel=1e-3), key
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing too wide
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.fill('[name="lr"]', "0")  # a bad input: a message, dashes, no error
        assert "learning rate" in page.text_content(".wdd-calc-error")
        assert page.text_content('output[data-key="tau_iter"]') == "—"
        browser.close()
    assert errors == []


def test_timescale_rejects_a_bad_schedule():
    with pytest.raises(ValueError, match="schedule"):
        timescale.surviving_fraction(1e-3, 0.1, 100, schedule="step")
