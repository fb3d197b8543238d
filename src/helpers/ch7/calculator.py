"""The τ calculator: η, λ, B, L, D (and epochs, schedule) → τ_iter, τ_epoch, the run's length
in steps, τ as a fraction of the run, the share of an early update left at the end, and the λ
that keeps τ_epoch when η, B or D change.

Two twins with the same formulas: :func:`live_calculator` (ipywidgets, answers in Jupyter and
Colab) and :func:`static_calculator` (a form and a few lines of inline JavaScript: works in the
built page without a kernel, offline, and loads nothing). :func:`compute` is the Python
reference both are tested against (tests/test_ch7_calculator.py drives the static one in a
headless browser). :func:`calculator` picks the twin as :func:`helpers.widgets.live_or_static`
picks a slider.

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass

import ipywidgets as widgets
from IPython.display import HTML

from helpers.ch7 import timescale
from helpers.checks import check_real
from helpers.widgets import live_or_static

_ids = itertools.count()


@dataclass(frozen=True)
class Field:
    """One input of the calculator."""

    name: str  # the key in compute()'s values and the form's input name
    label: str  # what the reader sees (and a screen reader announces)
    default: float  # the starting value
    allow_zero: bool = False  # λ may be 0 (no decay); everything else must be > 0


# The defaults: LLaMA-7B (Touvron et al. 2023): η = 3e-4, λ = 0.1, 2048 sequences of 2048
# tokens per step (4.2M tokens; the paper says "4M"), 1T tokens, one pass, cosine decay.
FIELDS = (
    Field("lr", "learning rate η", 3e-4),
    Field("weight_decay", "weight decay λ", 0.1, allow_zero=True),
    Field("batch", "batch B (sequences per step)", 2048),
    Field("length", "sequence length L (tokens)", 2048),
    Field("data", "data set D (tokens)", 1e12),
    Field("epochs", "passes over the data E", 1),
    Field("new_lr", "new η", 3e-4),
    Field("new_batch", "new B (sequences per step)", 4096),
    Field("new_data", "new D (tokens)", 2e12),
)
SCHEDULES = tuple(timescale.MEAN_MULTIPLIER)  # constant, linear, cosine
DEFAULT_SCHEDULE = "cosine"
# The outputs, in order: key and label.
OUTPUTS = (
    ("steps", "steps T = E·D/(B·L)"),
    ("tau_iter", "τ_iter = 1/(ηλ), steps"),
    ("tau_epoch", "τ_epoch = τ_iter·B·L/D, epochs"),
    ("run_fraction", "τ_iter/T, fraction of the run"),
    ("surviving", "share of a first-step update left at the end, exp(−ηλ·T·s̄)"),
    ("new_lambda", "λ that keeps τ_epoch at the new η, B, D"),
)


def compute(values: dict) -> dict[str, float]:
    """The calculator's outputs for ``values`` (every :data:`FIELDS` name, and ``schedule``);
    ValueError naming the first bad input. τ_iter, τ_epoch and τ_iter/T are ∞ at λ = 0."""
    v = {f.name: values[f.name] for f in FIELDS}
    for f in FIELDS:
        check_real(f.name, v[f.name], low=0, low_open=not f.allow_zero)
    schedule = values.get("schedule", DEFAULT_SCHEDULE)
    tokens_per_step = v["batch"] * v["length"]
    total = timescale.steps(tokens_per_step, v["data"], v["epochs"])
    lr, lam = v["lr"], v["weight_decay"]
    return {
        "steps": total,
        "tau_iter": timescale.tau_iter(lr, lam),
        "tau_epoch": timescale.tau_epoch(lr, lam, tokens_per_step, v["data"]),
        "run_fraction": timescale.run_fraction(lr, lam, total),
        "surviving": timescale.surviving_fraction(lr, lam, total, schedule),
        "new_lambda": timescale.rescaled_lambda(
            lam,
            lr=(lr, v["new_lr"]),
            batch=(v["batch"], v["new_batch"]),
            data=(v["data"], v["new_data"]),
        ),
    }


def format_number(value: float) -> str:
    """Four significant digits, as the page shows them: 0.1333, 3.333e+04, ∞."""
    return "∞" if math.isinf(value) else f"{value:.4g}"


def defaults() -> dict:
    """The calculator's starting values."""
    return {**{f.name: f.default for f in FIELDS}, "schedule": DEFAULT_SCHEDULE}


def live_calculator() -> widgets.VBox:
    """The ipywidgets twin: one number box per input, a schedule menu, and the outputs, updated
    whenever an input changes. ``.inputs`` and ``.outputs`` hold the widgets (for tests)."""
    inputs = {
        f.name: widgets.FloatText(
            value=f.default, description=f.label, style={"description_width": "260px"}
        )
        for f in FIELDS
    }
    inputs["schedule"] = widgets.Dropdown(
        options=SCHEDULES,
        value=DEFAULT_SCHEDULE,
        description="schedule of η",
        style={"description_width": "260px"},
    )
    outputs = {key: widgets.Label() for key, _ in OUTPUTS}
    message = widgets.Label()

    def refresh(_change=None):
        try:
            result = compute({name: box.value for name, box in inputs.items()})
        except ValueError as error:
            message.value = str(error)
            for label in outputs.values():
                label.value = "—"
            return
        message.value = ""
        for key, label in outputs.items():
            label.value = format_number(result[key])

    for box in inputs.values():
        box.observe(refresh, names="value")
    rows = [
        widgets.HBox([widgets.Label(text, layout={"width": "420px"}), outputs[key]])
        for key, text in OUTPUTS
    ]
    box = widgets.VBox([*inputs.values(), *rows, message])
    box.inputs, box.outputs, box.message = inputs, outputs, message
    refresh()
    return box


# The page's script: {uid} and {mean} are filled in. The same formulas as compute().
_SCRIPT = """(function () {
  const root = document.getElementById("{uid}");
  const mean = {mean};
  const val = function (name) {
    const input = root.querySelector('[name="' + name + '"]');
    return input.tagName === "SELECT" ? input.value : Number(input.value);
  };
  const fmt = function (x) {
    if (!isFinite(x)) return "\\u221e";
    return String(Number(x.toPrecision(4)));
  };
  function bad(name, zero) {
    const input = root.querySelector('[name="' + name + '"]');
    const x = Number(input.value);
    const wrong = input.value.trim() === "" || !isFinite(x) || (zero ? x < 0 : x <= 0);
    input.setAttribute("aria-invalid", wrong ? "true" : "false");
    return wrong ? input.dataset.label + " must be " + (zero ? "\\u2265 0" : "> 0") : "";
  }
  function update() {
    const msgs = {checks}.map(function (c) { return bad(c[0], c[1]); })
      .filter(function (m) { return m; });
    const error = root.querySelector(".wdd-calc-error");
    error.textContent = msgs.join("; ");
    const outs = root.querySelectorAll("output[data-key]");
    if (msgs.length) { outs.forEach(function (o) { o.textContent = "\\u2014"; }); return; }
    const lr = val("lr"), lam = val("weight_decay"), perStep = val("batch") * val("length");
    const steps = val("epochs") * val("data") / perStep;
    const tauIter = lam === 0 ? Infinity : 1 / (lr * lam);
    const r = {
      steps: steps,
      tau_iter: tauIter,
      tau_epoch: tauIter * perStep / val("data"),
      run_fraction: tauIter / steps,
      surviving: Math.exp(-lr * lam * steps * mean[val("schedule")]),
      new_lambda: lam * (lr / val("new_lr")) * (val("new_batch") / val("batch"))
        * (val("data") / val("new_data"))
    };
    outs.forEach(function (o) { o.textContent = fmt(r[o.dataset.key]); });
  }
  root.addEventListener("input", update);
  root.addEventListener("change", update);
  update();
})();"""


def static_calculator() -> HTML:
    """The kernel-free twin: a labelled form and an inline script (no external loads) that
    recomputes the outputs on every keystroke. Outputs announce themselves (``aria-live``)."""
    uid = f"wdd-tau-calc-{next(_ids)}"
    rows = []
    for f in FIELDS:
        rows.append(
            f'<label for="{uid}-{f.name}">{html.escape(f.label)}</label>'
            f'<input type="number" id="{uid}-{f.name}" name="{f.name}" value="{f.default:g}" '
            f'min="0" step="any" inputmode="decimal" data-label="{html.escape(f.label)}">'
        )
    options = "".join(
        f'<option value="{s}"{" selected" if s == DEFAULT_SCHEDULE else ""}>{s}</option>'
        for s in SCHEDULES
    )
    rows.append(
        f'<label for="{uid}-schedule">schedule of η</label>'
        f'<select id="{uid}-schedule" name="schedule">{options}</select>'
    )
    outputs = "".join(
        f'<span id="{uid}-out-{key}">{html.escape(text)}</span>'
        f'<output data-key="{key}" for="{uid}-lr" aria-labelledby="{uid}-out-{key}"></output>'
        for key, text in OUTPUTS
    )
    mean = "{" + ", ".join(f'"{k}": {v!r}' for k, v in timescale.MEAN_MULTIPLIER.items()) + "}"
    checks = "[" + ", ".join(f'["{f.name}", {str(f.allow_zero).lower()}]' for f in FIELDS) + "]"
    script = _SCRIPT.replace("{uid}", uid).replace("{mean}", mean).replace("{checks}", checks)
    # two columns, the labels' shrinking first (a phone is 390 px wide)
    grid = (
        "display:grid;grid-template-columns:minmax(0,1fr) minmax(6em,12em);"
        "gap:0.3em 1em;align-items:start"
    )
    return HTML(
        f"""<div class="wdd-tau-calculator" id="{uid}" role="group" aria-label="τ calculator">
<form style="{grid}" onsubmit="return false">
{chr(10).join(rows)}
</form>
<div style="{grid};margin-top:0.8em" aria-live="polite">
{outputs}
</div>
<p class="wdd-calc-error" role="alert" style="color:#b00020"></p>
<script>
{script}
</script>
</div>"""
    )


def calculator() -> object:
    """The live calculator in Jupyter/Colab, the static one in the built book."""
    return live_or_static(live_calculator, static_calculator)
