"""The Caffe tests import their helpers (caffe_oracle, caffe_writer, caffe_netgen) from this folder."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
