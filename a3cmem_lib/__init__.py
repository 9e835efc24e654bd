"""a3cmem: A3C with a memory layer — the library behind the a3cmem textbook.

Subpackages, lowest layer first (a lower layer never imports a higher one):

- :mod:`a3cmem_lib.memory`      replay buffers (numpy only): FIFO ring, sum-tree PER, dedup.
- :mod:`a3cmem_lib.envs`        the library's environments, ``make_env``, fixed-policy rollouts.
- :mod:`a3cmem_lib.agent`       actor-critic model, returns, V-trace, losses, shared optimizers.
- :mod:`a3cmem_lib.training`    asynchronous workers, the memory layer, learner, ``train()``;
  its backends (:mod:`a3cmem_lib.training.backends`: local processes, Ray) behind one seam.
- :mod:`a3cmem_lib.experiments` the stability study, its statistics and plots, duplicate rates.
- :mod:`a3cmem_lib.teaching`    plots, widgets and exercise checks for the notebooks.
- :mod:`a3cmem_lib.cli`         ``python -m a3cmem_lib train|study``.
"""

__version__ = "0.3.0"
