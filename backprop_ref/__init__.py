"""backprop_ref: the course's numpy reference implementation.

Layers and losses as pure functions (``layers``, ``losses``), explicit Jacobians for
teaching (``jacobians``), stateful modules and a ``Sequential`` network over the pure core
(``modules``), optimisers and training (``optim``, ``training``), the lesson-5 network as
functions (``mlp``), lesson 6's reverse-mode autodiff engine (``autodiff``) and pictures
of its graphs (``graphs``), gradient checking and diagnosis (``gradcheck``), deterministic
datasets (``data``), plots in the course style (``plots``), and one spec per graded
function (``specs``), shared by the notebooks' tests and the grader.

Pure numpy at runtime, float64 by default, no I/O.
"""

__version__ = "0.1.0"
