"""Chapter 2, L2 inside Adam is not weight decay: the curvature toy (``toy``), the η × λ grid
(``grid``) and the figures (``figures``)."""
