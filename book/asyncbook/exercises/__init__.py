"""Checkers for the exercises, one module per chapter (``ch01.py``, ``ch02.py``, ...).

Each module registers its checkers with :func:`asyncbook.selfcheck.exercise`;
:mod:`asyncbook.selfcheck` imports them all on first use.
"""
