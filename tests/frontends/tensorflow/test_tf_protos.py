"""irforge's hand-declared TensorFlow message descriptors against TensorFlow's own (the oracle): every field we
declare must have TensorFlow's number, wire type and cardinality, so what we parse is what TensorFlow wrote."""
import pytest
from google.protobuf import descriptor as d

from irforge.frontends.tensorflow import protos

# Our flat message names -> TensorFlow's full names (nested messages are flattened in irforge).
TF_NAMES = {
    "TensorShapeDim": "tensorflow.TensorShapeProto.Dim", "AttrList": "tensorflow.AttrValue.ListValue",
    "NodeDebugInfo": "tensorflow.NodeDef.ExperimentalDebugInfo", "ArgDef": "tensorflow.OpDef.ArgDef",
    "AttrDef": "tensorflow.OpDef.AttrDef", "ArgAttrs": "tensorflow.FunctionDef.ArgAttrs",
    "MetaInfoDef": "tensorflow.MetaGraphDef.MetaInfoDef", "StringList": "tensorflow.CollectionDef.NodeList",
    "BytesList": "tensorflow.CollectionDef.BytesList", "Int64List": "tensorflow.CollectionDef.Int64List",
    "FloatList": "tensorflow.CollectionDef.FloatList",
    "ObjectReference": "tensorflow.TrackableObjectGraph.TrackableObject.ObjectReference",
    "TrackableObject": "tensorflow.TrackableObjectGraph.TrackableObject",
    "SerializedTensor": "tensorflow.TrackableObjectGraph.TrackableObject.SerializedTensor",
    "TensorSliceExtent": "tensorflow.TensorSliceProto.Extent",
}


def _tf_pool():
    pytest.importorskip("tensorflow")
    from tensorflow.core.framework import graph_pb2, tensor_slice_pb2  # noqa: F401
    from tensorflow.core.protobuf import (saved_model_pb2, saved_object_graph_pb2,  # noqa: F401
                                          tensor_bundle_pb2, trackable_object_graph_pb2)
    from tensorflow.core.util import event_pb2  # noqa: F401
    from google.protobuf import descriptor_pool
    return descriptor_pool.Default()


@pytest.mark.parametrize("name", sorted(protos.MESSAGES))
def test_fields_match_tensorflow(name):
    pool = _tf_pool()
    theirs = pool.FindMessageTypeByName(TF_NAMES.get(name, f"tensorflow.{name}"))
    ours = protos._CLASSES[name].DESCRIPTOR
    for field in ours.fields:
        tf_field = theirs.fields_by_name.get(field.name)
        assert tf_field is not None, f"{name}.{field.name} is not a TensorFlow field"
        assert tf_field.number == field.number, f"{name}.{field.name}"
        assert tf_field.type == field.type or {tf_field.type, field.type} <= {d.FieldDescriptor.TYPE_ENUM,
                                                                             d.FieldDescriptor.TYPE_INT32}, \
            f"{name}.{field.name}: type {field.type} != {tf_field.type}"
        assert tf_field.is_repeated == field.is_repeated, f"{name}.{field.name}"
        assert (tf_field.containing_oneof is None) == (field.containing_oneof is None), f"{name}.{field.name}"


def test_data_types_match_tensorflow():
    pytest.importorskip("tensorflow")
    from tensorflow.core.framework import types_pb2
    for name, number in protos.DATA_TYPES.items():
        assert types_pb2.DataType.Value(name) == number
