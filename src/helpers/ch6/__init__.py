"""Chapter 6, One pass over the data: a hidden Markov text source with a computable floor
(``hmm``), one training run of the tiny GPT on its never-repeating stream (``onepass``), the
stored sweep over λ, schedules and seeds (``sweep``) and the chapter's figures (``figures``)."""
