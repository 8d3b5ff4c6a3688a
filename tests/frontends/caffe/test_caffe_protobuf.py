"""irforge's own text-format parser and wire-format reader against Google's protobuf runtime, both driven by the
same schema (turned into a descriptor here): every corpus prototxt parses to the same values, the binary form
protobuf writes reads back the same, and the tests' caffemodel writer writes what protobuf reads."""
from __future__ import annotations

import math

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

from caffe_oracle import CORPUS
from caffe_writer import BlobSpec, LayerSpec, write_caffemodel
from irforge.frontends.caffe.caffemodel import read_caffemodel
from irforge.frontends.caffe.message import Message
from irforge.frontends.caffe.net import blob_from_message
from irforge.frontends.caffe.prototxt import read_prototxt
from irforge.frontends.caffe.schema import ENUMS, MESSAGES

KINDS = {"int32": "TYPE_INT32", "int64": "TYPE_INT64", "uint32": "TYPE_UINT32", "uint64": "TYPE_UINT64",
         "float": "TYPE_FLOAT", "double": "TYPE_DOUBLE", "bool": "TYPE_BOOL", "string": "TYPE_STRING",
         "bytes": "TYPE_BYTES", "enum": "TYPE_ENUM", "message": "TYPE_MESSAGE"}
PACKED = {("BlobShape", "dim"), ("BlobProto", "data"), ("BlobProto", "diff"), ("BlobProto", "double_data"),
          ("BlobProto", "double_diff")}


@pytest.fixture(scope="module")
def classes():
    """Message classes from irforge's schema. Text-only fields (no number) get free numbers; duplicate enum
    labels across enums are fine because each enum is nested in its own wrapper message."""
    f = descriptor_pb2.FileDescriptorProto(name="irforge_caffe_test.proto", package="t", syntax="proto2")
    for name, labels in ENUMS.items():
        holder = f.message_type.add(name=f"E_{name}")
        e = holder.enum_type.add(name=name)
        for label, number in labels.items():
            e.value.add(name=label, number=number)
    for name, fields in MESSAGES.items():
        m = f.message_type.add(name=name)
        free = 20000
        for fd in fields:
            number = fd.number
            if number is None:
                number, free = free, free + 1
            field = m.field.add(name=fd.name, number=number, type=getattr(descriptor_pb2.FieldDescriptorProto,
                                                                          KINDS[fd.kind]),
                                label=3 if fd.repeated else 1)
            if fd.kind == "message":
                field.type_name = f".t.{fd.type_name}"
            if fd.kind == "enum":
                field.type_name = f".t.E_{fd.type_name}.{fd.type_name}"
            if (name, fd.name) in PACKED:
                field.options.packed = True
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"t.{name}")) for name in MESSAGES}


def same(ours: Message, theirs, path: str) -> None:
    """Every field irforge read equals protobuf's (repeated fields in order, floats as f32)."""
    descriptor = theirs.DESCRIPTOR
    for fd in descriptor.fields:
        values = ours.list(fd.name)
        if fd.is_repeated:
            expected = list(getattr(theirs, fd.name))
        else:
            expected = [getattr(theirs, fd.name)] if theirs.HasField(fd.name) else []
        assert len(values) == len(expected), f"{path}.{fd.name}: {len(values)} values, protobuf {len(expected)}"
        for i, (a, b) in enumerate(zip(values, expected)):
            where = f"{path}.{fd.name}[{i}]"
            if fd.type == fd.TYPE_MESSAGE:
                same(a, b, where)
            elif fd.type == fd.TYPE_ENUM:
                assert a == fd.enum_type.values_by_number[b].name, where
            elif fd.type in (fd.TYPE_FLOAT, fd.TYPE_DOUBLE):
                assert (math.isnan(a) and math.isnan(b)) or np.float32(a) == np.float32(b), f"{where}: {a} != {b}"
            else:
                assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.prototxt")), ids=lambda p: p.stem)
def test_prototxt_parses_as_protobuf_does(classes, path):
    theirs = classes["NetParameter"]()
    text_format.Parse(path.read_text(), theirs)
    same(read_prototxt(str(path)), theirs, path.stem)


def test_text_format_corners(classes, tmp_path):
    """Comments, `<>` messages, `field: {`, list syntax, escapes, negative and exponent numbers, enum by number,
    semicolons."""
    text = r'''# a comment
    name: "a\"b\x41\101\n" # another
    input: 'single' input_dim: [1, 3, 2, 2]
    layer < name: "c" type: "Convolution" convolution_param: { num_output: 4; pad: [1, 2] kernel_size: 3
            weight_filler { type: "xavier" std: -1.5e-3 } engine: 2 } >
    layer { name: "p" type: "Pooling" pooling_param { pool: AVE stride: 2 global_pooling: True round_mode: 1 }
            propagate_down: false propagate_down: t }
    '''
    (tmp_path / "c.prototxt").write_text(text)
    theirs = classes["NetParameter"]()
    text_format.Parse(text, theirs)
    same(read_prototxt(str(tmp_path / "c.prototxt")), theirs, "corners")


def test_binary_from_protobuf_reads_back(classes, tmp_path):
    """protobuf's own serialization of each corpus net (and of blobs with negative dims, legacy fields and
    unpacked values set by hand) reads back field for field."""
    for path in sorted(CORPUS.glob("*.prototxt")):
        theirs = classes["NetParameter"]()
        text_format.Parse(path.read_text(), theirs)
        layer = (theirs.layer[0] if len(theirs.layer) else theirs.layers[0])
        blob = layer.blobs.add()
        blob.shape.dim.extend([2, -3])
        blob.data.extend([1.5, -2.25, 3.0])
        blob.num, blob.channels = 7, -1
        model = tmp_path / f"{path.stem}.caffemodel"
        model.write_bytes(theirs.SerializeToString())
        ours = read_caffemodel(str(model))
        ours_layers = ours.list("layer") or ours.list("layers")
        theirs_layers = theirs.layer if len(theirs.layer) else theirs.layers
        for mine, their in zip(ours_layers, theirs_layers):
            for b, tb in zip(mine.list("blobs"), their.blobs):
                (run,) = b.list("data")     # one packed run, left in the file
                values = np.frombuffer(run.source.buffer(), "<f4")
                np.testing.assert_array_equal(values, np.asarray(tb.data, np.float32))
                b.values.pop("data")
                tb.ClearField("data")
        same(ours, theirs, path.stem)


def test_writer_output_reads_with_protobuf(classes, tmp_path):
    """The tests' own caffemodel writer (both formats, packed and not, legacy dims, doubles) against protobuf."""
    arrays = [np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) - 5, np.array([0.5, -1], np.float32)]
    specs = [BlobSpec(arrays[0], "legacy", packed=False), BlobSpec(arrays[1], "shape", double=True)]
    for v1 in (False, True):
        path = tmp_path / f"w{v1}.caffemodel"
        write_caffemodel(path, [LayerSpec("conv", "Convolution", ["x"], ["y"], specs)], "w", v1=v1)
        theirs = classes["NetParameter"]()
        theirs.ParseFromString(path.read_bytes())
        layer = theirs.layers[0] if v1 else theirs.layer[0]
        assert layer.name == "conv" and list(layer.bottom) == ["x"] and list(layer.top) == ["y"]
        assert list(layer.blobs[0].data) == arrays[0].reshape(-1).tolist()
        assert (layer.blobs[0].num, layer.blobs[0].channels, layer.blobs[0].height, layer.blobs[0].width) == \
            (2, 3, 2, 2)
        assert list(layer.blobs[1].double_data) == [0.5, -1.0] and list(layer.blobs[1].shape.dim) == [2]
        ours = read_caffemodel(str(path))
        blobs = (ours.list("layers") if v1 else ours.list("layer"))[0].list("blobs")
        got = [blob_from_message(b, str(path), "conv", i) for i, b in enumerate(blobs)]
        np.testing.assert_array_equal(got[0].array(), arrays[0])
        np.testing.assert_array_equal(got[1].array(), arrays[1])


def test_a_forks_field_under_a_known_number_is_skipped(tmp_path):
    """A field number that irforge's schema knows with another type (another fork's numbering) is skipped, not
    misread: here pooling_param (121 in LayerParameter) written as a varint."""
    from caffe_writer import key, length_delimited, string, varint
    layer = string(1, "pool") + string(2, "Pooling") + key(121, 0) + varint(7)
    path = tmp_path / "fork.caffemodel"
    path.write_bytes(string(1, "net") + length_delimited(100, layer))
    (parsed,) = read_caffemodel(str(path)).list("layer")
    assert parsed.get("name") == "pool" and not parsed.has("pooling_param")
