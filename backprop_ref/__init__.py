"""backprop_ref: the course's numpy reference implementation, the answer key.

Layers and losses as pure functions (``layers``, ``losses``), explicit Jacobians and
derivative tensors for teaching (``derivatives``), stateful modules and a ``Sequential``
network over the pure core, accumulating gradients (``modules``: the network
``benchmarks/bench_mlp.py`` times), gradient descent (``optim``), the lesson-5 network as
functions (``mlp``), lesson 6's reverse-mode autodiff engine (``autodiff``; pictures of its
graphs are the kit's ``graphs``), lesson 7's normalisation layers (``normalisation``), the
lesson-2 answers on finite differences (``gradcheck``), and the answer key's half of each
spec (``specs``: the cases and expected data; the judges are in the student kit,
``backprop_kit``).

Datasets, plots, graph pictures and the gradient checker live in the student kit, which this package
depends on. Pure numpy at runtime, float64 by default, no I/O.
"""

__version__ = "0.1.0"
