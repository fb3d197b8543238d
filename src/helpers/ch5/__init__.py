"""Chapter 5, Beyond regularization: grokking on modular addition (``grokking``) and its figures
(``figures``)."""
