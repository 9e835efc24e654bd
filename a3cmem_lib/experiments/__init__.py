"""Experiments built on training: the stability study, the regime study's axes, their
statistics and figures, duplicate rates, and the description of the machine a result came
from. Nothing here trains by itself;
everything calls :func:`a3cmem_lib.training.train` or the memory library.

- :mod:`.study` runs every environment × memory variant × seed and writes tidy CSVs;
- :mod:`.study_stats` medians, bootstrap intervals, Mann–Whitney tests with Holm correction;
- :mod:`.study_plots` the study's figures;
- :mod:`.axes` the axes of the regime study (one resumable study per swept setting);
- :mod:`.axes_plots` a measure against the swept setting;
- :mod:`.axes_report` and :mod:`.axes_conclusions` each axis's tests and its conclusion;
- :mod:`.duplicates` how often a replay memory sees the same experience twice;
- :mod:`.machine` the CPU and versions stored next to every result.

Explained in notebooks/04_deduplication.ipynb, notebooks/06_stability_study.ipynb and
notebooks/07_when_does_memory_help.ipynb.
"""
