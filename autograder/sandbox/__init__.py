"""The trust boundary. :mod:`.base`: the sandbox interface, limits, and the explicit
no-sandbox fallback; :mod:`.bwrap`: the bubblewrap sandbox; :func:`.choice.sandbox_for`:
the one a run uses. What runs *inside* the sandbox is in :mod:`autograder.sandbox.inside`,
a folder of its own: untrusted territory."""
