"""The Kaldi tests import their helpers (writers, numpy references) from this folder."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
