"""Keras models (random weights, randomized BatchNorm statistics) saved by TensorFlow in each format, converted by
irforge, and run by OpenVINO and the reference runtime against TensorFlow's own outputs."""
import pytest

from tf_models import case, check_case

FAST = [
    ("toy_cnn", "frozen"), ("toy_cnn", "pbtxt"), ("toy_cnn", "keras_export"), ("toy_cnn", "tf_save"),
    ("mobilenet_v2", "frozen"),
]
# Every Keras application in every format: test_tf_matrix.py (its big cells are `heavy`).


@pytest.mark.parametrize("name,fmt", FAST)
def test_keras_model(name, fmt, tmp_path):
    check_case(case(name, fmt), tmp_path)


@pytest.mark.parametrize("fmt", ["frozen", "keras_export"])
def test_bert_encoder(fmt, tmp_path):
    """Embeddings, masked multi-head attention (Einsum), LayerNormalization, GELU: the string-free BERT."""
    check_case(case("bert_encoder", fmt), tmp_path)
