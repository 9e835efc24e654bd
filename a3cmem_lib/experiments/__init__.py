"""Experiments built on training: the stability study, its statistics and figures, duplicate
rates, and the description of the machine a result came from. Nothing here trains by itself;
everything calls :func:`a3cmem_lib.training.train` or the memory library.

- :mod:`.study` runs every environment × memory variant × seed and writes tidy CSVs;
- :mod:`.study_stats` medians, bootstrap intervals, Mann–Whitney tests with Holm correction;
- :mod:`.study_plots` the study's figures;
- :mod:`.duplicates` how often a replay memory sees the same experience twice;
- :mod:`.machine` the CPU and versions stored next to every result.

Explained in notebooks/04_deduplication.ipynb and notebooks/06_stability_study.ipynb.
"""
