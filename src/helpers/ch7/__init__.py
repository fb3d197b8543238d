"""Chapter 7, How λ should scale: the timescale τ = 1/(ηλ) in steps and in epochs
(``timescale``), stacked small networks for λ sweeps (``ensemble``), the stored sweeps
(``sweep``) and what they measure (``optimum``), the τ calculator (``calculator``), real
recipes through the rule (``recipes``) and the figures (``figures``)."""
