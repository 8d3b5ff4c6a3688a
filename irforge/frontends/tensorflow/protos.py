"""The TensorFlow protobuf messages irforge reads, built here without TensorFlow.

TensorFlow's .proto files are not shipped outside TensorFlow, so the message descriptors are declared below with
the field numbers of the public protos (tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape,
function,op_def,versions}.proto, tensorflow/core/protobuf/{saved_model,meta_graph,saved_object_graph,
trackable_object_graph,tensor_bundle,saver,struct}.proto, tensorflow/core/util/event.proto). Only the fields
irforge needs are declared: binary parsing keeps the others as unknown fields; text parsing (.pbtxt) ignores
unknown fields. The messages live in a private descriptor pool under the package `irforge_tf`, so they never
clash with TensorFlow's own classes when both are loaded (the tests use TensorFlow as their oracle).
"""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
PACKAGE = "irforge_tf"

# TensorFlow's DataType enum (types.proto); the *_REF variants are these + 100.
DATA_TYPES = {
    "DT_INVALID": 0, "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5, "DT_INT8": 6,
    "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10, "DT_QINT8": 11, "DT_QUINT8": 12,
    "DT_QINT32": 13, "DT_BFLOAT16": 14, "DT_QINT16": 15, "DT_QUINT16": 16, "DT_UINT16": 17, "DT_COMPLEX128": 18,
    "DT_HALF": 19, "DT_RESOURCE": 20, "DT_VARIANT": 21, "DT_UINT32": 22, "DT_UINT64": 23,
    "DT_FLOAT8_E5M2": 24, "DT_FLOAT8_E4M3FN": 25, "DT_INT4": 29, "DT_UINT4": 30,
}

# Field kinds: scalar type names, "msg:Name" for a message, "enum:DataType", "map:K:V" for map<K, V>.
SCALARS = {
    "double": F.TYPE_DOUBLE, "float": F.TYPE_FLOAT, "int64": F.TYPE_INT64, "uint64": F.TYPE_UINT64,
    "int32": F.TYPE_INT32, "uint32": F.TYPE_UINT32, "fixed32": F.TYPE_FIXED32, "bool": F.TYPE_BOOL,
    "string": F.TYPE_STRING, "bytes": F.TYPE_BYTES,
}

# message name -> [(field name, number, kind, repeated, oneof group or None)]
R, O = True, False
MESSAGES: dict[str, list[tuple]] = {
    # -- framework ------------------------------------------------------------------------------------------------
    "VersionDef": [("producer", 1, "int32", O), ("min_consumer", 2, "int32", O), ("bad_consumers", 3, "int32", R)],
    "TensorShapeProto": [("dim", 2, "msg:TensorShapeDim", R), ("unknown_rank", 3, "bool", O)],
    "TensorShapeDim": [("size", 1, "int64", O), ("name", 2, "string", O)],
    "TensorProto": [
        ("dtype", 1, "enum:DataType", O), ("tensor_shape", 2, "msg:TensorShapeProto", O),
        ("version_number", 3, "int32", O), ("tensor_content", 4, "bytes", O), ("half_val", 13, "int32", R),
        ("float_val", 5, "float", R), ("double_val", 6, "double", R), ("int_val", 7, "int32", R),
        ("string_val", 8, "bytes", R), ("scomplex_val", 9, "float", R), ("int64_val", 10, "int64", R),
        ("bool_val", 11, "bool", R), ("dcomplex_val", 12, "double", R), ("uint32_val", 16, "uint32", R),
        ("uint64_val", 17, "uint64", R), ("float8_val", 18, "bytes", O)],
    "AttrValue": [
        ("list", 1, "msg:AttrList", O, "value"), ("s", 2, "bytes", O, "value"), ("i", 3, "int64", O, "value"),
        ("f", 4, "float", O, "value"), ("b", 5, "bool", O, "value"), ("type", 6, "enum:DataType", O, "value"),
        ("shape", 7, "msg:TensorShapeProto", O, "value"), ("tensor", 8, "msg:TensorProto", O, "value"),
        ("placeholder", 9, "string", O, "value"), ("func", 10, "msg:NameAttrList", O, "value")],
    "AttrList": [
        ("s", 2, "bytes", R), ("i", 3, "int64", R), ("f", 4, "float", R), ("b", 5, "bool", R),
        ("type", 6, "enum:DataType", R), ("shape", 7, "msg:TensorShapeProto", R),
        ("tensor", 8, "msg:TensorProto", R), ("func", 9, "msg:NameAttrList", R)],
    "NameAttrList": [("name", 1, "string", O), ("attr", 2, "map:string:AttrValue", R)],
    "NodeDef": [
        ("name", 1, "string", O), ("op", 2, "string", O), ("input", 3, "string", R), ("device", 4, "string", O),
        ("attr", 5, "map:string:AttrValue", R), ("experimental_debug_info", 6, "msg:NodeDebugInfo", O)],
    "NodeDebugInfo": [("original_node_names", 1, "string", R), ("original_func_names", 2, "string", R)],
    "ArgDef": [
        ("name", 1, "string", O), ("description", 2, "string", O), ("type", 3, "enum:DataType", O),
        ("type_attr", 4, "string", O), ("number_attr", 5, "string", O), ("type_list_attr", 6, "string", O),
        ("is_ref", 16, "bool", O)],
    "AttrDef": [
        ("name", 1, "string", O), ("type", 2, "string", O), ("default_value", 3, "msg:AttrValue", O),
        ("description", 4, "string", O), ("has_minimum", 5, "bool", O), ("minimum", 6, "int64", O),
        ("allowed_values", 7, "msg:AttrValue", O)],
    "OpDef": [
        ("name", 1, "string", O), ("input_arg", 2, "msg:ArgDef", R), ("output_arg", 3, "msg:ArgDef", R),
        ("control_output", 20, "string", R), ("attr", 4, "msg:AttrDef", R), ("summary", 5, "string", O),
        ("description", 6, "string", O), ("is_aggregate", 16, "bool", O), ("is_stateful", 17, "bool", O),
        ("is_commutative", 18, "bool", O), ("allows_uninitialized_input", 19, "bool", O)],
    "OpList": [("op", 1, "msg:OpDef", R)],
    "ArgAttrs": [("attr", 1, "map:string:AttrValue", R)],
    "FunctionDef": [
        ("signature", 1, "msg:OpDef", O), ("attr", 5, "map:string:AttrValue", R),
        ("arg_attr", 7, "map:uint32:ArgAttrs", R), ("resource_arg_unique_id", 8, "map:uint32:uint32", R),
        ("node_def", 3, "msg:NodeDef", R), ("ret", 4, "map:string:string", R),
        ("control_ret", 6, "map:string:string", R)],
    "GradientDef": [("function_name", 1, "string", O), ("gradient_func", 2, "string", O)],
    "FunctionDefLibrary": [("function", 1, "msg:FunctionDef", R), ("gradient", 2, "msg:GradientDef", R)],
    "GraphDef": [
        ("node", 1, "msg:NodeDef", R), ("versions", 4, "msg:VersionDef", O), ("version", 3, "int32", O),
        ("library", 2, "msg:FunctionDefLibrary", O)],
    # -- meta graphs and SavedModel -----------------------------------------------------------------------------
    "SavedModel": [("saved_model_schema_version", 1, "int64", O), ("meta_graphs", 2, "msg:MetaGraphDef", R)],
    "MetaInfoDef": [
        ("meta_graph_version", 1, "string", O), ("stripped_op_list", 2, "msg:OpList", O),
        ("tags", 4, "string", R), ("tensorflow_version", 5, "string", O),
        ("tensorflow_git_version", 6, "string", O), ("stripped_default_attrs", 7, "bool", O),
        ("function_aliases", 8, "map:string:string", R)],
    "MetaGraphDef": [
        ("meta_info_def", 1, "msg:MetaInfoDef", O), ("graph_def", 2, "msg:GraphDef", O),
        ("saver_def", 3, "msg:SaverDef", O), ("collection_def", 4, "map:string:CollectionDef", R),
        ("signature_def", 5, "map:string:SignatureDef", R), ("object_graph_def", 7, "msg:SavedObjectGraph", O)],
    "SaverDef": [
        ("filename_tensor_name", 1, "string", O), ("save_tensor_name", 2, "string", O),
        ("restore_op_name", 3, "string", O), ("max_to_keep", 4, "int32", O), ("sharded", 5, "bool", O),
        ("keep_checkpoint_every_n_hours", 6, "float", O), ("version", 7, "int32", O)],
    "CollectionDef": [
        ("node_list", 1, "msg:StringList", O, "kind"), ("bytes_list", 2, "msg:BytesList", O, "kind"),
        ("int64_list", 3, "msg:Int64List", O, "kind"), ("float_list", 4, "msg:FloatList", O, "kind")],
    "StringList": [("value", 1, "string", R)],
    "BytesList": [("value", 1, "bytes", R)],
    "Int64List": [("value", 1, "int64", R)],
    "FloatList": [("value", 1, "float", R)],
    "SignatureDef": [
        ("inputs", 1, "map:string:TensorInfo", R), ("outputs", 2, "map:string:TensorInfo", R),
        ("method_name", 3, "string", O)],
    "TensorInfo": [
        ("name", 1, "string", O, "encoding"), ("dtype", 2, "enum:DataType", O),
        ("tensor_shape", 3, "msg:TensorShapeProto", O)],
    # -- the object graph of TF2 SavedModels and checkpoints ----------------------------------------------------
    "SavedObjectGraph": [
        ("nodes", 1, "msg:SavedObject", R), ("concrete_functions", 2, "map:string:SavedConcreteFunction", R)],
    "ObjectReference": [("node_id", 1, "int32", O), ("local_name", 2, "string", O)],
    "SavedObject": [
        ("children", 1, "msg:ObjectReference", R), ("dependencies", 15, "msg:ObjectReference", R),
        ("user_object", 4, "msg:SavedUserObject", O, "kind"), ("function", 6, "msg:SavedFunction", O, "kind"),
        ("variable", 7, "msg:SavedVariable", O, "kind"),
        ("bare_concrete_function", 8, "msg:SavedBareConcreteFunction", O, "kind"),
        ("constant", 9, "msg:SavedConstant", O, "kind"), ("resource", 10, "msg:SavedResource", O, "kind"),
        ("captured_tensor", 12, "msg:CapturedTensor", O, "kind"), ("registered_name", 13, "string", O)],
    "SavedUserObject": [("identifier", 1, "string", O), ("metadata", 3, "string", O)],
    "SavedFunction": [("concrete_functions", 1, "string", R)],
    "SavedVariable": [
        ("dtype", 1, "enum:DataType", O), ("shape", 2, "msg:TensorShapeProto", O), ("trainable", 3, "bool", O),
        ("name", 6, "string", O), ("device", 7, "string", O)],
    "SavedBareConcreteFunction": [
        ("concrete_function_name", 1, "string", O), ("argument_keywords", 2, "string", R)],
    "SavedConstant": [("operation", 1, "string", O)],
    "SavedResource": [("device", 1, "string", O)],
    "CapturedTensor": [("name", 1, "string", O), ("concrete_function", 2, "string", O)],
    "SavedConcreteFunction": [("bound_inputs", 2, "int32", R)],
    "TrackableObjectGraph": [("nodes", 1, "msg:TrackableObject", R)],
    "TrackableObject": [
        ("children", 1, "msg:ObjectReference", R), ("attributes", 2, "msg:SerializedTensor", R)],
    "SerializedTensor": [("name", 1, "string", O), ("full_name", 2, "string", O), ("checkpoint_key", 3, "string", O)],
    # -- checkpoints (tensor bundles) ------------------------------------------------------------------------
    "BundleHeaderProto": [("num_shards", 1, "int32", O), ("endianness", 2, "int32", O),
                          ("version", 3, "msg:VersionDef", O)],
    "BundleEntryProto": [
        ("dtype", 1, "enum:DataType", O), ("shape", 2, "msg:TensorShapeProto", O), ("shard_id", 3, "int32", O),
        ("offset", 4, "int64", O), ("size", 5, "int64", O), ("crc32c", 6, "fixed32", O),
        ("slices", 7, "msg:TensorSliceProto", R)],
    "TensorSliceProto": [("extent", 1, "msg:TensorSliceExtent", R)],
    "TensorSliceExtent": [("start", 1, "int64", O), ("length", 2, "int64", O, "has_length")],
    # -- TensorBoard event files ----------------------------------------------------------------------------
    "Event": [("wall_time", 1, "double", O), ("step", 2, "int64", O), ("file_version", 3, "string", O, "what"),
              ("graph_def", 4, "bytes", O, "what")],
}


def _field(msg: descriptor_pb2.DescriptorProto, name: str, number: int, kind: str, repeated: bool,
           oneof: str | None) -> None:
    f = msg.field.add(name=name, number=number)
    f.label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
    if kind.startswith("map:"):
        _, key, value = kind.split(":")
        entry = msg.nested_type.add(name="".join(p.title() for p in name.split("_")) + "Entry")
        entry.options.map_entry = True
        _field(entry, "key", 1, key, False, None)
        _field(entry, "value", 2, value if value in SCALARS else f"msg:{value}", False, None)
        f.type = F.TYPE_MESSAGE
        f.type_name = f".{PACKAGE}.{msg.name}.{entry.name}"
    elif kind.startswith("msg:"):
        f.type = F.TYPE_MESSAGE
        f.type_name = f".{PACKAGE}.{kind[4:]}"
    elif kind.startswith("enum:"):
        f.type = F.TYPE_ENUM
        f.type_name = f".{PACKAGE}.{kind[5:]}"
    else:
        f.type = SCALARS[kind]
    if oneof is not None:
        names = [o.name for o in msg.oneof_decl]
        if oneof not in names:
            msg.oneof_decl.add(name=oneof)
            names.append(oneof)
        f.oneof_index = names.index(oneof)


def _build() -> dict[str, type]:
    file = descriptor_pb2.FileDescriptorProto(name="irforge_tf.proto", package=PACKAGE, syntax="proto3")
    enum = file.enum_type.add(name="DataType")
    for name, number in DATA_TYPES.items():
        enum.value.add(name=name, number=number)
    for name, number in DATA_TYPES.items():
        if 0 < number < 100:
            enum.value.add(name=name + "_REF", number=number + 100)
    for name, fields in MESSAGES.items():
        msg = file.message_type.add(name=name)
        for spec in fields:
            _field(msg, *spec[:4], spec[4] if len(spec) > 4 else None)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{name}"))
            for name in MESSAGES}


_CLASSES = _build()
GraphDef = _CLASSES["GraphDef"]
NodeDef = _CLASSES["NodeDef"]
AttrValue = _CLASSES["AttrValue"]
TensorProto = _CLASSES["TensorProto"]
TensorShapeProto = _CLASSES["TensorShapeProto"]
FunctionDef = _CLASSES["FunctionDef"]
SavedModel = _CLASSES["SavedModel"]
MetaGraphDef = _CLASSES["MetaGraphDef"]
SavedObjectGraph = _CLASSES["SavedObjectGraph"]
TrackableObjectGraph = _CLASSES["TrackableObjectGraph"]
BundleHeaderProto = _CLASSES["BundleHeaderProto"]
BundleEntryProto = _CLASSES["BundleEntryProto"]
Event = _CLASSES["Event"]
VersionDef = _CLASSES["VersionDef"]

__all__ = ["DATA_TYPES", "MESSAGES", "GraphDef", "NodeDef", "AttrValue", "TensorProto", "TensorShapeProto",
           "FunctionDef", "SavedModel", "MetaGraphDef", "SavedObjectGraph", "TrackableObjectGraph",
           "BundleHeaderProto", "BundleEntryProto", "Event", "VersionDef"]
