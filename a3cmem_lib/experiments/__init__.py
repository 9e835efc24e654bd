"""Experiments built on training: the stability study, the regime study's axes and
follow-ups, their statistics, figures and rendered answers, duplicate rates, and the
description of the machine a result came from. Nothing here trains by itself; everything
calls :func:`a3cmem_lib.training.train` or the memory library.

- :mod:`.jobs` one run of a study (the memory variants, :class:`~.jobs.StudyJob`, training
  it); :mod:`.measures` what a run and a group of runs measured; :mod:`.tables` a study's
  files on disk; :mod:`.runner` running a study's jobs on a backend of :mod:`.backends`
  (``local``, ``ray``); :mod:`.study` the stability study (``StudyConfig``, ``run_study``);
- :mod:`.study_stats` medians, bootstrap intervals, Mann–Whitney tests with Holm correction;
  :mod:`.study_plots` the study's figures;
- :mod:`.axes` the axes of the regime study (one resumable study per swept setting);
  :mod:`.axes_results` finding and reading their results; :mod:`.axes_stats` their tests;
  :mod:`.axes_report` and :mod:`.axes_conclusions` each axis's report and its conclusion;
  :mod:`.axes_plots` a measure against the swept setting;
- :mod:`.follow_up` the follow-ups and running them, :mod:`.follow_up_acer` the ``acer`` one,
  :mod:`.follow_ups` every follow-up by name and its results, and :mod:`.hypotheses` the
  hypotheses they test;
- :mod:`.answer`, :mod:`.answer_axes`, :mod:`.answer_acer` and :mod:`.results_tables` the
  book's answer and tables rendered from the results, printed as :mod:`.formatting` says;
- :mod:`.duplicates` how often a replay memory sees the same experience twice;
- :mod:`.machine` the CPU and versions stored next to every result.

Explained in notebooks/04_deduplication.ipynb, notebooks/06_stability_study.ipynb,
notebooks/07_when_does_memory_help.ipynb and notebooks/09_acer.ipynb.
"""
