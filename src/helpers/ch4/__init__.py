"""Chapter 4, Train a tiny GPT with a λ slider: the stored λ sweep (``sweep``), its figures
(``figures``) and the live Run panel (``panel``)."""
