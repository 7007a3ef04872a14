"""Test suite of nlc-bench (a package so that tests/conftest.py is importable as tests.conftest
and tests/nlc/ never shadows the nlc package)."""
