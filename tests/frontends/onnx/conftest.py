"""The ONNX tests import their helpers (node_suite, model_zoo) from this folder."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
