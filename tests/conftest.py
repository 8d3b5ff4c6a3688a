"""Shared test configuration: the tests import their oracles from tests/oracles.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
