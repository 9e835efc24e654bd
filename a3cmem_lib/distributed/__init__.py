"""Scaling out on Ray: one run's workers and learner as Ray actors (:mod:`.ray_train`). Ray
is imported only by these modules, and they are imported only when a Ray backend is asked
for (:mod:`.ray_runtime`). A study's runs as Ray tasks are a job backend of the experiments,
:mod:`a3cmem_lib.experiments.backends.ray`.

Explained in notebooks/08_scaling_out.ipynb.
"""
