"""Scaling out on Ray: one run's workers and learner as Ray actors (:mod:`.ray_train`), a
study's runs as Ray tasks (:mod:`.ray_study`). Ray is imported only by these modules, and
they are imported only when a Ray backend is asked for (:mod:`.ray_runtime`).

Explained in notebooks/08_scaling_out.ipynb.
"""
