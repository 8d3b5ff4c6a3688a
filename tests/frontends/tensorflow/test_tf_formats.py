"""Every TensorFlow input format: TF1 MetaGraph + checkpoint, GraphDef + --input_checkpoint (reference and
resource variables). Keras-built models in the SavedModel styles and frozen forms are in test_keras_models.py."""
import pytest

from tf_models import case, check_case


@pytest.mark.parametrize("name", ["tf1_meta_ref", "tf1_meta_resource", "tf1_graph_ckpt_ref",
                                  "tf1_graph_ckpt_resource"])
def test_tf1_checkpoint_formats(name, tmp_path):
    check_case(case(name, "raw"), tmp_path)


def test_wide_and_deep(tmp_path):
    """Sparse embedding bags (Unique + ResourceGather + SparseSegmentMean/Sum), dense embedding lookups, MLP."""
    from irforge import ops
    if not hasattr(ops, "Unique"):
        pytest.skip("needs ops.Unique (helper onnx-suite's scatter.py, not on main yet)")
    check_case(case("wide_and_deep", "raw"), tmp_path)
