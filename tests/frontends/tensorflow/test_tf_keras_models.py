"""Keras models (random weights, randomized BatchNorm statistics) saved by TensorFlow in each format, converted by
irforge, and run by OpenVINO and the reference runtime against TensorFlow's own outputs."""
import pytest

from tf_models import case, check_case

FAST = [
    ("toy_cnn", "frozen"), ("toy_cnn", "pbtxt"), ("toy_cnn", "keras_export"), ("toy_cnn", "tf_save"),
    ("mobilenet_v2", "frozen"),
]
HEAVY = [
    ("resnet50", "frozen"), ("mobilenet_v2", "keras_export"), ("mobilenet_v3_small", "tf_save"),
    ("efficientnet_b0", "keras_export"), ("inception_v3", "frozen"), ("densenet121", "tf_save"),
    ("nasnet_mobile", "frozen"), ("xception", "keras_export"), ("convnext_tiny", "frozen"),
    ("convnext_tiny", "tf_save"), ("vgg16", "frozen"), ("resnet50", "keras_export"),
]


@pytest.mark.parametrize("name,fmt", FAST)
def test_keras_model(name, fmt, tmp_path):
    check_case(case(name, fmt), tmp_path)


@pytest.mark.heavy
@pytest.mark.parametrize("name,fmt", HEAVY)
def test_keras_application(name, fmt, tmp_path):
    check_case(case(name, fmt), tmp_path)


@pytest.mark.parametrize("fmt", ["frozen", "keras_export"])
def test_bert_encoder(fmt, tmp_path):
    """Embeddings, masked multi-head attention (Einsum), LayerNormalization, GELU: the string-free BERT."""
    check_case(case("bert_encoder", fmt), tmp_path)
