"""Shared test configuration: the tests import their oracles from tests/oracles.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

# torchvision (which loads triton's native library) must be loaded before TensorFlow: the other order crashes the
# process (SIGSEGV in triton's module init) when a TensorFlow test runs before a torch export. Loading it here
# makes the suite independent of the test order.
try:
    import torch  # noqa: F401
    import torchvision  # noqa: F401
except ImportError:
    pass
