"""Helpers shared by the chapters of *Async Python from the Ground Up*.

Each module has one job, so a chapter imports only what it teaches with:

- :mod:`asyncbook.colour` decides whether to colour output and paints text.
- :mod:`asyncbook.introspect` tabulates what ``inspect`` says about objects.
- :mod:`asyncbook.selfcheck` runs the exercises' self-checks.

The notebooks import this package from their own folder (``book/``); the
tests import it through ``pythonpath = ["book"]`` in ``pyproject.toml``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
