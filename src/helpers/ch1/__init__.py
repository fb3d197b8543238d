"""Chapter 1, The L2 penalty, derived: the polynomial ridge problem (``ridge``) and its figures
(``figures``)."""
