"""Chapter 3, Which weights to decay: the checked table of real models (``real_models``) and the
four decay rules run on the tiny GPT (``rules_sweep``)."""
