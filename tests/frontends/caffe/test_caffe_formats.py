"""The old and odd forms a real .caffemodel / prototxt can take: V1 `layers {}` with enum types, top-level
`input:` + `input_dim:`, blob dims as num/channels/height/width, floats written one field at a time, double
data; --mean_file; and what bad input gives (one error, with the byte offset or the line)."""
from __future__ import annotations

import numpy as np
import pytest

import irforge
from caffe_oracle import (check_against_opencv, convert_and_run, run_opencv, write_net, assert_matches)
from caffe_writer import BlobSpec, write_binaryproto
from irforge.errors import ConversionError, InputError, UnsupportedOps

rng = np.random.default_rng(5)


def data(*shape):
    return rng.standard_normal(shape).astype(np.float32)


V1_NET = '''name: "old"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 8
input_dim: 8
layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv"
         convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layers { name: "relu" type: RELU bottom: "conv" top: "conv" }
layers { name: "pool" type: POOLING bottom: "conv" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layers { name: "fc" type: INNER_PRODUCT bottom: "pool" top: "fc" inner_product_param { num_output: 5 } }
layers { name: "prob" type: SOFTMAX bottom: "fc" top: "prob" }
'''


def old_blobs(double: bool = False):
    """Legacy 4-D dims (InnerProduct weights [1, 1, N, K], biases [1, 1, 1, N]) and non-packed floats."""
    r = np.random.default_rng(11)
    values = [r.standard_normal(s).astype(np.float32) for s in ((4, 3, 3, 3), (1, 1, 1, 4), (1, 1, 5, 64),
                                                                 (1, 1, 1, 5))]
    return {
        "conv": [BlobSpec(values[0], "legacy", packed=False), BlobSpec(values[1], "legacy")],
        "fc": [BlobSpec(values[2], "legacy", double=double), BlobSpec(values[3], "legacy", packed=False,
                                                                      double=double)],
    }


def test_double_blobs_read_as_floats(tmp_path):
    """double_data (packed and not) reads as the same f32 values (OpenCV's importer rejects it, so the float
    version of the same file is the reference)."""
    x = data(1, 3, 8, 8)
    (tmp_path / "f").mkdir(); (tmp_path / "d").mkdir()
    floats = convert_and_run(*write_net(tmp_path / "f", V1_NET, old_blobs(), v1=True, name="f")[::-1],
                             {"data": x}, ["fc"], tmp_path / "f")[0][0]
    doubles = convert_and_run(*write_net(tmp_path / "d", V1_NET, old_blobs(double=True), v1=True, name="d")[::-1],
                              {"data": x}, ["fc"], tmp_path / "d")[0][0]
    np.testing.assert_array_equal(doubles, floats)


def test_v1_layers_with_legacy_blobs(tmp_path):
    proto, model = write_net(tmp_path, V1_NET, old_blobs(), v1=True)
    x = data(1, 3, 8, 8)
    expected = run_opencv(proto, model, {"data": x}, ["fc", "prob"])
    got_ov, got_ref, graph = convert_and_run(model, proto, {"data": x}, ["fc", "prob"], tmp_path)
    for blob, exp, ov, ref in zip(["fc", "prob"], expected, got_ov, got_ref):
        assert_matches(ov, exp, f"{blob}: OpenVINO vs OpenCV")
        assert_matches(ref, exp, f"{blob}: reference runtime vs OpenCV")
    assert [p.name for p in graph.parameters] == ["data"]


def test_blob_values_stay_in_the_caffemodel(tmp_path):
    """Packed float blobs become constants that point into the .caffemodel (no copy in memory); the others are
    decoded once into arrays."""
    from irforge.core.tensor import FileSlice
    proto, model = write_net(tmp_path, V1_NET, {"conv": [data(4, 3, 3, 3), data(4)],
                                                "fc": [data(5, 64), BlobSpec(data(5), packed=False)]})
    graph = irforge.convert_model(str(model), input_proto=str(proto))
    consts = {n.name: n.op for n in graph.nodes if n.op.TYPE == "Const"}
    assert isinstance(consts["conv/weights"].data, FileSlice) and consts["conv/weights"].data.path == str(model)
    assert isinstance(consts["fc/weights"].data, FileSlice)
    assert isinstance(consts["fc/bias"].data, np.ndarray)


def test_input_shape_forms(tmp_path):
    """An Input layer with one shape per top, the top-level input_shape, and --input_shape overriding them."""
    body = 'layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" }\n'
    layer_form = ('layer { name: "in" type: "Input" top: "a" top: "b" input_param { shape { dim: 1 dim: 2 } '
                  'shape { dim: 1 dim: 2 } } }\n' + body)
    top_form = 'input: "a" input_shape { dim: 1 dim: 2 } input: "b" input_shape { dim: 1 dim: 2 }\n' + body
    for text in (layer_form, top_form):
        (tmp_path / "n.prototxt").write_text(text)
        graph = irforge.convert_model(None, input_proto=str(tmp_path / "n.prototxt"))
        assert [(p.name, str(p.outputs[0].shape)) for p in graph.parameters] == [("a", "1,2"), ("b", "1,2")]
        graph = irforge.convert_model(None, input_proto=str(tmp_path / "n.prototxt"), input_shape="[3,2],[3,2]")
        assert [str(p.outputs[0].shape) for p in graph.parameters] == ["3,2", "3,2"]


def test_caffemodel_found_next_to_prototxt(tmp_path):
    proto, model = write_net(tmp_path, V1_NET, {"conv": [data(4, 3, 3, 3), data(4)], "fc": [data(5, 64), data(5)]},
                             name="net")
    assert proto.stem == model.stem
    graph = irforge.convert_model(str(model))        # net.prototxt is found beside net.caffemodel
    assert graph.results[0].name == "prob"


def test_topology_only(tmp_path):
    """--input_proto alone: zeros (scales 1), so the IR runs; the shapes are the net's."""
    proto, _ = write_net(tmp_path, V1_NET, {})
    x = data(1, 3, 8, 8)
    got_ov, got_ref, _ = convert_and_run(None, proto, {"data": x}, ["prob"], tmp_path)
    np.testing.assert_allclose(got_ov[0], np.full((1, 5), 0.2, np.float32), rtol=1e-6)
    np.testing.assert_allclose(got_ref[0], got_ov[0], rtol=1e-6)


# -- --mean_file ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("offsets", [None, (1, 3)])
def test_mean_file(tmp_path, offsets):
    """The mean image (a BlobProto, larger than the input) is cropped (centred, or at the offsets: row, column)
    and subtracted before the net: the same as feeding x - mean to the net without it."""
    mean = rng.uniform(0, 255, (1, 3, 12, 13)).astype(np.float32)
    write_binaryproto(tmp_path / "mean.binaryproto", BlobSpec(mean, "legacy"))
    proto, model = write_net(tmp_path, V1_NET, {"conv": [data(4, 3, 3, 3), data(4)], "fc": [data(5, 64), data(5)]})
    x = rng.uniform(0, 255, (1, 3, 8, 8)).astype(np.float32)
    top, left = offsets if offsets else ((12 - 8) // 2, (13 - 8) // 2)
    by_hand = x - mean[:, :, top:top + 8, left:left + 8]
    expected = run_opencv(proto, model, {"data": by_hand}, ["fc"])[0]
    options = {"mean_file": str(tmp_path / "mean.binaryproto")}
    if offsets:
        options["mean_file_offsets"] = f"({offsets[0]},{offsets[1]})"
    got_ov, got_ref, _ = convert_and_run(model, proto, {"data": x}, ["fc"], tmp_path, **options)
    assert_matches(got_ov[0], expected, "fc with the mean file: OpenVINO vs OpenCV on x - mean")
    assert_matches(got_ref[0], expected, "fc with the mean file: reference vs OpenCV on x - mean")


@pytest.mark.parametrize("scale", [{"scale": 58.0}, {"scale_values": "[58,57,56]"}])
def test_mean_file_with_reverse_and_scale(tmp_path, scale):
    """The legacy order: reverse the channels, subtract the mean image (in the model's channel order), divide by
    the scale."""
    mean = rng.uniform(0, 255, (1, 3, 8, 8)).astype(np.float32)
    write_binaryproto(tmp_path / "mean.binaryproto", BlobSpec(mean, "legacy"))
    proto, model = write_net(tmp_path, V1_NET, {"conv": [data(4, 3, 3, 3), data(4)], "fc": [data(5, 64), data(5)]})
    x = rng.uniform(0, 255, (1, 3, 8, 8)).astype(np.float32)
    divisor = np.array([58.0] * 3 if "scale" in scale else [58, 57, 56], np.float32).reshape(1, 3, 1, 1)
    by_hand = (x[:, ::-1] - mean) / divisor
    expected = run_opencv(proto, model, {"data": np.ascontiguousarray(by_hand)}, ["fc"])[0]
    got_ov, got_ref, _ = convert_and_run(model, proto, {"data": x}, ["fc"], tmp_path,
                                         mean_file=str(tmp_path / "mean.binaryproto"), reverse_input_channels=True,
                                         **scale)
    assert_matches(got_ov[0], expected, "OpenVINO vs OpenCV on (reverse(x) - mean) / scale")
    assert_matches(got_ref[0], expected, "reference vs OpenCV on (reverse(x) - mean) / scale")


def test_mean_file_errors(tmp_path):
    proto, model = write_net(tmp_path, V1_NET, {"conv": [data(4, 3, 3, 3), data(4)], "fc": [data(5, 64), data(5)]})
    write_binaryproto(tmp_path / "small.binaryproto", BlobSpec(data(1, 3, 6, 6), "legacy"))
    with pytest.raises(InputError, match="larger than the mean image"):
        irforge.convert_model(str(model), input_proto=str(proto), mean_file=str(tmp_path / "small.binaryproto"))
    write_binaryproto(tmp_path / "big.binaryproto", BlobSpec(data(1, 3, 10, 10), "legacy"))
    with pytest.raises(Exception, match="mean_file_offsets"):
        irforge.convert_model(str(model), input_proto=str(proto), mean_file=str(tmp_path / "big.binaryproto"),
                              mean_file_offsets="(3,0)")
    with pytest.raises(Exception, match="Both --mean_file and mean_values are specified"):
        irforge.convert_model(str(model), input_proto=str(proto), mean_file=str(tmp_path / "big.binaryproto"),
                              mean_values="[1,2,3]")


# -- bad input ------------------------------------------------------------------------------------------------------
def test_truncated_caffemodel_names_the_byte_offset(tmp_path):
    proto, model = write_net(tmp_path, V1_NET, {"conv": [data(4, 3, 3, 3), data(4)], "fc": [data(5, 64), data(5)]})
    raw = model.read_bytes()
    cut = tmp_path / "cut.caffemodel"
    cut.write_bytes(raw[:len(raw) - 100])
    with pytest.raises(InputError, match=r"byte offset \d+") as e:
        irforge.convert_model(str(cut), input_proto=str(proto))
    assert "cut.caffemodel" in str(e.value) and "truncated" in str(e.value)
    assert e.value.offset is not None and 0 <= e.value.offset < len(raw)


def test_not_a_caffemodel(tmp_path):
    proto, _ = write_net(tmp_path, V1_NET, {})
    junk = tmp_path / "junk.caffemodel"
    junk.write_bytes(b"\xff\xff\xff\xff not protobuf at all")
    with pytest.raises(InputError, match="byte offset"):
        irforge.convert_model(str(junk), input_proto=str(proto))


def test_unknown_layers_are_all_listed(tmp_path):
    text = ('input: "data" input_shape { dim: 1 dim: 3 dim: 4 dim: 4 }\n'
            'layer { name: "a" type: "MyCustom" bottom: "data" top: "a" my_custom_param { k: 3 } }\n'
            'layer { name: "b" type: "MyCustom" bottom: "a" top: "b" }\n'
            'layer { name: "c" type: "Python" bottom: "b" top: "c" python_param { module: "m" layer: "L" } }\n'
            'layer { name: "d" type: "ReLU" bottom: "c" top: "d" }\n'
            'layer { name: "e" type: "Correlation" bottom: "d" top: "e" }\n')
    (tmp_path / "u.prototxt").write_text(text)
    with pytest.raises(UnsupportedOps) as e:
        irforge.convert_model(None, input_proto=str(tmp_path / "u.prototxt"))
    assert e.value.counts == {"MyCustom": 2, "Python:m.L": 1, "Correlation": 1}
    assert "'a', 'b'" in str(e.value)


@pytest.mark.parametrize("text,message", [
    ('layer { name: "a" type: "ReLU" bottom: "data" top: "a" \n', "ends inside LayerParameter"),
    ('input: "data"\nlayer { name: "a" type: "ReLU" bottom: "data" top: "a" relu_param { negative_slope: x } }',
     r"ReLUParameter.negative_slope is a number.*line 2"),
    ('layer { name: "p" type: "Pooling" pooling_param { pool: MEDIAN } }', "one of MAX, AVE, STOCHASTIC"),
    ('layer { name: "a" name: "b" }', "given twice"),
    ('layer { name: "a" type: "ReLU" bottom: "nothing" top: "a" }', "no input|produced by no"),
])
def test_bad_prototxt(tmp_path, text, message):
    (tmp_path / "bad.prototxt").write_text(text)
    with pytest.raises((InputError, ConversionError), match=message):
        irforge.convert_model(None, input_proto=str(tmp_path / "bad.prototxt"))


def test_wrong_blob_shape_names_the_layer(tmp_path):
    proto, model = write_net(tmp_path, V1_NET, {"conv": [data(4, 3, 3, 2), data(4)], "fc": [data(5, 64), data(5)]})
    with pytest.raises(ConversionError, match=r"conv.*blob 0 \(weights\).*\[4, 3, 3, 3\]"):
        irforge.convert_model(str(model), input_proto=str(proto))


def test_layers_follow_the_test_phase_and_the_net_state(tmp_path):
    """Layers for TRAIN, for other stages or levels are left out; the prototxt's own state sets stages and level."""
    text = ('state { stage: "deploy" level: 2 }\n'
            'input: "data" input_shape { dim: 1 dim: 3 }\n'
            'layer { name: "train_only" type: "Dropout" bottom: "data" top: "data" include { phase: TRAIN } }\n'
            'layer { name: "a" type: "ReLU" bottom: "data" top: "a" include { phase: TEST stage: "deploy" } }\n'
            'layer { name: "b" type: "Sigmoid" bottom: "a" top: "b" include { stage: "eval" } }\n'
            'layer { name: "c" type: "TanH" bottom: "a" top: "c" exclude { min_level: 3 } }\n'
            'layer { name: "d" type: "AbsVal" bottom: "c" top: "d" exclude { not_stage: "deploy" } }\n'
            'layer { name: "e" type: "AbsVal" bottom: "c" top: "e" include { max_level: 1 } }\n')
    (tmp_path / "s.prototxt").write_text(text)
    graph = irforge.convert_model(None, input_proto=str(tmp_path / "s.prototxt"))
    kinds = sorted(n.op.TYPE for n in graph.nodes if n.op.TYPE not in ("Parameter", "Result", "Const"))
    assert kinds == ["Abs", "ReLU", "Tanh"]
    assert [r.name for r in graph.results] == ["d"]


def test_unknown_fields_are_reported(tmp_path, caplog):
    text = ('input: "data" input_shape { dim: 1 dim: 2 dim: 4 dim: 4 }\n'
            'layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" '
            'pooling_param { pool: MAX kernal_size: 2 kernel_size: 2 stride: 2 } fancy_param { x: 1 } }\n')
    (tmp_path / "u.prototxt").write_text(text)
    with caplog.at_level("WARNING", logger="irforge"):
        irforge.convert_model(None, input_proto=str(tmp_path / "u.prototxt"))
    assert "pooling_param.kernal_size" in caplog.text and "fancy_param" in caplog.text


def test_in_place_blob_names_follow_the_newest_value(tmp_path):
    """conv -> in-place ReLU -> in-place Dropout (an identity): the name `conv` ends on the ReLU's output, and
    only there; a later layer reading `conv` reads that value."""
    text = ('input: "data" input_shape { dim: 1 dim: 2 dim: 3 dim: 3 }\n'
            'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" '
            'convolution_param { num_output: 2 kernel_size: 1 } }\n'
            'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n'
            'layer { name: "drop" type: "Dropout" bottom: "conv" top: "conv" }\n'
            'layer { name: "prob" type: "Softmax" bottom: "conv" top: "prob" }\n')
    (tmp_path / "n.prototxt").write_text(text)
    graph = irforge.convert_model(None, input_proto=str(tmp_path / "n.prototxt"))
    named = [o for n in graph.nodes for o in n.outputs if "conv" in o.names]
    assert len(named) == 1 and named[0].node.op.TYPE == "ReLU"
    assert graph.results[0].inputs[0].node.inputs[0] is named[0]
