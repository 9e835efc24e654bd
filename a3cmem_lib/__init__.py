"""a3cmem: A3C with a memory layer — the library behind the a3cmem textbook.

Subpackages, lowest layer first (a lower layer never imports a higher one):

- :mod:`a3cmem_lib.memory`   replay buffers (numpy only): FIFO ring, sum-tree PER, dedup.
- :mod:`a3cmem_lib.agent`    actor-critic model, returns, losses, shared optimizer.
- :mod:`a3cmem_lib.training` asynchronous workers, learner, ``train()``, the CLI.
- :mod:`a3cmem_lib.teaching` plots, widgets and exercise checks for the notebooks.
"""

__version__ = "0.1.0"
