"""The original article's replay buffers (``shared/seed``), kept as a baseline to show and time.

Chapter 02 shows the FIFO failing and chapter 03 times the O(n) prioritized sampler against
the sum-tree; ``bench/bench_memory.py`` times all of them. Nothing else may use them.

``ArticleFIFOBuffer`` and ``ArticlePrioritizedReplayBuffer`` are the article's code as written
(the article calls them ``FIFOBuffer`` and ``PrioritizedReplayBuffer``).
``ArticleFIFOBuffer.sample`` raises on any buffer of transition tuples: ``np.random.choice``
needs a 1-D array, and a list of tuples is not one. ``FixedArticleFIFOBuffer`` is the minimal
fix (draw indices, then gather), timed so the comparison has a working baseline.
"""

import numpy as np


class ArticleFIFOBuffer:
    def __init__(self, capacity):
        self.capacity = capacity
        self.buffer = []
        self.index = 0

    def push(self, experience):
        if len(self.buffer) < self.capacity:
            self.buffer.append(experience)
        else:
            self.buffer[self.index] = experience
            self.index = (self.index + 1) % self.capacity

    def sample(self, batch_size):
        return np.random.choice(self.buffer, batch_size)

    def __len__(self):
        return len(self.buffer)


class FixedArticleFIFOBuffer(ArticleFIFOBuffer):
    def sample(self, batch_size):
        indices = np.random.randint(0, len(self.buffer), size=batch_size)
        return [self.buffer[i] for i in indices]


class ArticlePrioritizedReplayBuffer:
    def __init__(self, capacity, alpha=0.6, beta=0.4):
        self.capacity = capacity
        self.buffer = []
        self.priorities = np.zeros(capacity)
        self.alpha = alpha
        self.beta = beta
        self.max_priority = 1.0
        self.index = 0

    def push(self, experience, priority):
        if len(self.buffer) < self.capacity:
            self.buffer.append(experience)
        else:
            self.buffer[self.index] = experience
        self.priorities[self.index] = priority
        self.max_priority = max(self.max_priority, priority)
        self.index = (self.index + 1) % self.capacity

    def sample(self, batch_size):
        probabilities = self.priorities[: len(self.buffer)] ** self.alpha
        probabilities /= probabilities.sum()
        indices = np.random.choice(len(self.buffer), batch_size, p=probabilities, replace=False)
        weights = (len(self.buffer) * probabilities[indices]) ** (-self.beta)
        weights /= weights.max()
        experiences = [self.buffer[i] for i in indices]
        return experiences, indices, weights

    def update_priorities(self, indices, priorities):
        self.priorities[indices] = priorities
        self.max_priority = max(self.max_priority, np.max(priorities))
