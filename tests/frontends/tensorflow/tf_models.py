"""TensorFlow test models: built with TensorFlow (the oracle) when absent, cached on disk with their inputs and
TensorFlow's own outputs, then converted by irforge and run by OpenVINO and the reference runtime.

Each case is a directory ${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/tf/<name>-<format>-v<N>/ holding
the model files and io.npz (inputs in0.., TensorFlow outputs out0..). A warm cache needs no TensorFlow at all.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import irforge
from oracles import assert_close, run_openvino, run_reference

VERSION = 2  # 2: frozen cases record their placeholders' names (fed by name)
PATH_OPTIONS = ("input_model", "saved_model_dir", "input_meta_graph", "input_checkpoint")
CACHE = Path(os.environ.get("IRFORGE_TEST_CACHE", Path.home() / ".cache" / "irforge" / "test-models")) / "tf"


@dataclass
class Case:
    directory: Path
    options: dict                       # convert_model keyword arguments (input_model included)
    inputs: list[np.ndarray]
    expected: list[np.ndarray]
    input_names: list[str] = field(default_factory=list)  # feed by these names when given (SavedModels)


def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("tensorflow")


def keras():
    tf()
    import keras as k
    return k


# -- model builders: name -> (builder, input shapes) -----------------------------------------------------------
def _apps(ctor: str, size: int, **kw):
    def build():
        k = keras()
        return getattr(k.applications, ctor)(weights=None, input_shape=(size, size, 3), classes=10, **kw)
    return build, [(1, size, size, 3)]


def _toy_cnn():
    k = keras()
    inp = k.Input((16, 16, 3), name="image")
    x = k.layers.Conv2D(8, 3, strides=2, padding="same")(inp)
    x = k.layers.BatchNormalization()(x)
    x = k.layers.ReLU(6.0)(x)
    x = k.layers.DepthwiseConv2D(3, padding="same")(x)
    x = k.layers.Conv2D(8, 1, activation="swish")(x)
    y = k.layers.MaxPooling2D(2)(x)
    y = k.layers.Conv2D(6, 3, padding="valid", dilation_rate=1)(y)
    y = k.layers.AveragePooling2D(2, padding="same")(y)
    z = k.layers.GlobalAveragePooling2D()(x)
    y = k.layers.Flatten()(y)
    out = k.layers.Concatenate()([y, z])
    out = k.layers.Dense(5)(out)
    return k.Model(inp, out)


def _bert_encoder(vocab: int = 100, length: int = 16, width: int = 32, heads: int = 4, layers: int = 2):
    """A small BERT-style encoder: token + position + segment embeddings, then blocks of multi-head self
    attention (masked), residual + LayerNormalization, GELU feed-forward; the [CLS] pooler on top."""
    k = keras()
    ids = k.Input((length,), dtype="int32", name="input_ids")
    segments = k.Input((length,), dtype="int32", name="token_type_ids")
    mask = k.Input((length,), dtype="int32", name="attention_mask")
    x = k.layers.Embedding(vocab, width)(ids)
    x = x + k.layers.Embedding(2, width)(segments)
    positions = k.ops.arange(length)
    x = x + k.layers.Embedding(length, width)(positions)[None]
    x = k.layers.LayerNormalization(epsilon=1e-12)(x)
    attention_mask = k.ops.cast(mask[:, None, :], "bool") & k.ops.ones((1, length, 1), "bool")
    for _ in range(layers):
        attended = k.layers.MultiHeadAttention(heads, width // heads)(x, x, attention_mask=attention_mask)
        x = k.layers.LayerNormalization(epsilon=1e-12)(x + attended)
        hidden = k.layers.Dense(width * 4, activation="gelu")(x)
        x = k.layers.LayerNormalization(epsilon=1e-12)(x + k.layers.Dense(width)(hidden))
    pooled = k.layers.Dense(width, activation="tanh")(x[:, 0])
    return k.Model([ids, segments, mask], [x, pooled])


def _rnn():
    """Stacked Keras LSTM (full sequence) and GRU (last state): while loops over tensor lists in TF graphs."""
    k = keras()
    inp = k.Input((7, 5), name="sequence")
    x = k.layers.LSTM(6, return_sequences=True)(inp)
    x = k.layers.GRU(4)(x)
    return k.Model(inp, k.layers.Dense(3)(x))


MODELS: dict[str, tuple[Callable, list[tuple[int, ...]]]] = {
    "toy_cnn": (_toy_cnn, [(1, 16, 16, 3)]),
    "resnet50": _apps("ResNet50", 64, classifier_activation=None),
    "mobilenet_v2": _apps("MobileNetV2", 32, classifier_activation=None),
    "mobilenet_v3_small": _apps("MobileNetV3Small", 64, classifier_activation=None),
    "mobilenet_v3_large": _apps("MobileNetV3Large", 64, classifier_activation=None),
    "efficientnet_b0": _apps("EfficientNetB0", 64, classifier_activation=None),
    "inception_v3": _apps("InceptionV3", 96, classifier_activation=None),
    "densenet121": _apps("DenseNet121", 64, classifier_activation=None),
    "nasnet_mobile": _apps("NASNetMobile", 96),
    "xception": _apps("Xception", 96, classifier_activation=None),
    "convnext_tiny": _apps("ConvNeXtTiny", 64, classifier_activation=None),
    "vgg16": _apps("VGG16", 32, classifier_activation=None),
    "rnn": (_rnn, [(1, 7, 5)]),
    "bert_encoder": (_bert_encoder, [((1, 16), "int32", 100), ((1, 16), "int32", 2), ((1, 16), "int32", "mask")]),
}


def randomize_statistics(model, seed: int) -> None:
    """Random weights are not enough: BatchNormalization moving statistics start at 0 and 1, which would hide
    errors in how the normalization is converted."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            mean, var = layer.moving_mean, layer.moving_variance
            mean.assign(rng.normal(0, 0.1, mean.shape).astype(np.float32))
            var.assign(rng.uniform(0.5, 1.5, var.shape).astype(np.float32))
            if layer.gamma is not None:
                layer.gamma.assign(rng.uniform(0.8, 1.2, layer.gamma.shape).astype(np.float32))
            if layer.beta is not None:
                layer.beta.assign(rng.normal(0, 0.1, layer.beta.shape).astype(np.float32))


def _spec(shape, dynamic_batch: bool = False):
    """An input spec: a shape (float32), or (shape, dtype, high) for integer inputs in [0, high)."""
    t = tf()
    dims, dtype = (shape, "float32") if isinstance(shape[0], int) else shape[:2]
    return t.TensorSpec([None, *dims[1:]] if dynamic_batch else list(dims), getattr(t, dtype))


def random_input(shape, rng: np.random.Generator) -> np.ndarray:
    if isinstance(shape[0], int):
        return rng.standard_normal(shape).astype(np.float32)
    dims, dtype, high = shape
    if high == "mask":  # a padding mask: ones, then zeros for the last quarter
        out = np.ones(dims, dtype)
        out[..., dims[-1] * 3 // 4:] = 0
        return out
    return rng.integers(0, high, dims).astype(dtype)


def _frozen_graph_def(model, shapes):
    t = tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    specs = [_spec(s) for s in shapes]
    fn = t.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False))
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function(*specs))
    placeholders = [x.name.split(":")[0] for x in frozen.inputs]  # in argument order (the GraphDef's may differ)
    return frozen.graph.as_graph_def(), placeholders


def save(model, shapes, fmt: str, directory: Path) -> dict:
    """Save `model` in `fmt`; returns the convert_model options that read it back."""
    t = tf()
    if fmt in ("frozen", "pbtxt"):
        graph_def, placeholders = _frozen_graph_def(model, shapes)
        name = "model.pb" if fmt == "frozen" else "model.pbtxt"
        t.io.write_graph(graph_def, str(directory), name, as_text=fmt == "pbtxt")
        options = {"input_model": str(directory / name), "input_names": np.array(placeholders)}
        if fmt == "pbtxt":
            options["input_model_is_text"] = True
        return options
    if fmt == "keras_export":
        model.export(str(directory / "saved_model"), verbose=False)
        return {"saved_model_dir": str(directory / "saved_model")}
    if fmt == "tf_save":
        module = t.Module()
        module.model = model
        specs = [_spec(s, dynamic_batch=True) for s in shapes]
        fn = t.function(lambda *xs: {"logits": model(list(xs) if len(xs) > 1 else xs[0], training=False)})
        t.saved_model.save(module, str(directory / "saved_model"), signatures=fn.get_concrete_function(*specs))
        return {"saved_model_dir": str(directory / "saved_model")}
    raise ValueError(fmt)


def case(name: str, fmt: str, seed: int = 0) -> Case:
    """The cached case, built on first use."""
    directory = CACHE / f"{name}-{fmt}-v{VERSION}"
    io_file = directory / "io.npz"
    if not io_file.exists():
        build_case(name, fmt, directory, seed)
    data = np.load(io_file, allow_pickle=False)
    options = {k[4:]: str(v) if k != "opt_input_model_is_text" else bool(v) for k, v in data.items()
               if k.startswith("opt_")}
    for key in PATH_OPTIONS:
        if key in options:
            options[key] = str(directory / options[key])
    inputs = [data[f"in{i}"] for i in range(sum(k[2:].isdigit() for k in data if k.startswith("in")))]
    expected = [data[f"out{i}"] for i in range(sum(k[3:].isdigit() for k in data if k.startswith("out")))]
    names = [str(v) for v in data["input_names"]] if "input_names" in data else []
    return Case(directory, options, inputs, expected, names)


def build_case(name: str, fmt: str, directory: Path, seed: int) -> None:
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if fmt == "raw":
        tf().random.set_seed(seed)
        options, inputs, outputs = RAW[name](tmp, np.random.default_rng(seed))
    else:
        builder, shapes = MODELS[name]
        k = keras()
        k.utils.set_random_seed(seed)
        model = builder()
        randomize_statistics(model, seed)
        options = save(model, shapes, fmt, tmp)
        rng = np.random.default_rng(seed + 1)
        inputs = [random_input(s, rng) for s in shapes]
        outputs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        if fmt == "keras_export":  # signature inputs are keyed (and ordered) by the Keras input names
            options["input_names"] = np.array([t.name.split(":")[0] for t in model.inputs])
    relative = {k: os.path.relpath(v, tmp) if k in PATH_OPTIONS else v for k, v in options.items()}
    np.savez(tmp / "io.npz", **{f"in{i}": x for i, x in enumerate(inputs)},
             **{f"out{i}": np.asarray(y) for i, y in enumerate(outputs)},
             **{f"opt_{k}": v for k, v in relative.items() if k != "input_names"},
             **({"input_names": options["input_names"]} if "input_names" in options else {}))
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)


# -- models written with TensorFlow's lower-level APIs: name -> writer(directory, rng) -> (options, inputs, outputs)
def _tf1_cnn(resource: bool, form: str):
    """A TF1 graph with variables, saved by tf.compat.v1.train.Saver (V2 checkpoint + .meta)."""
    def write(directory: Path, rng: np.random.Generator):
        t = tf()
        v1 = t.compat.v1
        graph = t.Graph()
        with graph.as_default():
            x = v1.placeholder(t.float32, [1, 8, 8, 3], name="input")
            init = v1.random_normal_initializer(0, 0.5, seed=1)
            w = v1.get_variable("conv/w", [3, 3, 3, 4], initializer=init, use_resource=resource)
            b = v1.get_variable("conv/b", [4], initializer=init, use_resource=resource)
            y = t.nn.relu(t.nn.bias_add(t.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), b))
            y = t.nn.max_pool2d(y, 2, 2, "VALID")
            y = t.reduce_mean(y, [1, 2])
            d = v1.get_variable("fc/w", [4, 3], initializer=init, use_resource=resource)
            out = t.identity(t.matmul(y, d), name="output")
            saver = v1.train.Saver()
            feed = rng.standard_normal((1, 8, 8, 3)).astype(np.float32)
            with v1.Session(graph=graph) as session:
                session.run(v1.global_variables_initializer())
                expected = session.run(out, {x: feed})
                saver.save(session, str(directory / "model.ckpt"))
            t.io.write_graph(graph.as_graph_def(), str(directory), "graph.pb", as_text=False)
        if form == "meta":
            options = {"input_meta_graph": str(directory / "model.ckpt.meta")}
        else:
            options = {"input_model": str(directory / "graph.pb"), "input_checkpoint": str(directory / "model.ckpt")}
        return options, [feed], [expected]
    return write


def _wide_and_deep(directory: Path, rng: np.random.Generator):
    """Wide & Deep: a sparse multi-valued categorical feature (SparseTensor parts as inputs) through
    embedding_lookup_sparse (Unique, ResourceGather, SparseSegmentMean / Sum), dense ids through
    embedding_lookup, and dense features, into a small MLP plus the wide part. Saved with tf.saved_model.save."""
    t = tf()

    class WideDeep(t.Module):
        def __init__(self):
            self.deep_table = t.Variable(rng.standard_normal((50, 8)).astype(np.float32))
            self.id_table = t.Variable(rng.standard_normal((20, 8)).astype(np.float32))
            self.wide = t.Variable(rng.standard_normal((50, 1)).astype(np.float32))
            self.w1 = t.Variable(rng.standard_normal((20, 16)).astype(np.float32) * 0.3)
            self.w2 = t.Variable(rng.standard_normal((16, 1)).astype(np.float32) * 0.3)

        @t.function(input_signature=[t.TensorSpec([None, 4], t.float32, name="dense"),
                                     t.TensorSpec([None, 3], t.int64, name="ids"),
                                     t.TensorSpec([None, 2], t.int64, name="bag_indices"),
                                     t.TensorSpec([None], t.int64, name="bag_values"),
                                     t.TensorSpec([2], t.int64, name="bag_shape")])
        def __call__(self, dense, ids, bag_indices, bag_values, bag_shape):
            bag = t.SparseTensor(bag_indices, bag_values, bag_shape)
            deep = t.nn.embedding_lookup_sparse(self.deep_table, bag, None, combiner="mean")
            wide = t.nn.embedding_lookup_sparse(self.wide, bag, None, combiner="sum")
            ided = t.reduce_mean(t.nn.embedding_lookup(self.id_table, ids), axis=1)
            hidden = t.nn.relu(t.matmul(t.concat([deep, ided, dense], 1), self.w1))
            return {"logit": t.matmul(hidden, self.w2) + wide}

    model = WideDeep()
    t.saved_model.save(model, str(directory / "saved_model"), signatures=model.__call__.get_concrete_function())
    # 3 rows: row 0 has 3 values (one repeated), row 1 none, row 2 two values.
    indices = np.array([[0, 0], [0, 1], [0, 2], [2, 0], [2, 1]], np.int64)
    values = np.array([4, 17, 4, 49, 0], np.int64)
    feeds = [rng.standard_normal((3, 4)).astype(np.float32), rng.integers(0, 20, (3, 3)).astype(np.int64),
             indices, values, np.array([3, 3], np.int64)]
    expected = model(*[t.constant(f) for f in feeds])["logit"].numpy()
    names = np.array(["dense", "ids", "bag_indices", "bag_values", "bag_shape"])
    return {"saved_model_dir": str(directory / "saved_model"), "input_names": names}, feeds, [expected]


def _tf1_control_flow(directory: Path, rng: np.random.Generator):
    """tf.compat.v1 graph: a while_loop (counter, accumulator, invariant), a nested while_loop, and a cond (also
    nested in the loop body); frozen GraphDef written directly (no variables)."""
    t = tf()
    v1 = t.compat.v1
    v1.disable_control_flow_v2()  # TF1's Switch/Merge/Enter/Exit (process-wide: switched back below)
    try:
        return _tf1_control_flow_graph(t, v1, directory, rng)
    finally:
        v1.enable_control_flow_v2()


def nms_outputs(t, boxes, scores):
    """The kept boxes (NonMaxSuppressionV3) gathered, V4's padded indices and count, V5's indices and scores."""
    keep = t.image.non_max_suppression(boxes, scores, 10, 0.5, 0.3)
    padded, valid = t.raw_ops.NonMaxSuppressionV4(boxes=boxes, scores=scores, max_output_size=12,
                                                  iou_threshold=0.4, score_threshold=0.2, pad_to_max_output_size=True)
    chosen, chosen_scores = t.image.non_max_suppression_with_scores(boxes, scores, 8, 0.5, 0.1)
    return t.gather(boxes, keep), padded, valid, chosen, chosen_scores


def tf1_loops_and_conds(t, v1, x, n, w):
    """"output": a while_loop of n steps (counter, accumulator, the invariant x) whose body runs a nested
    while_loop and a cond, then a cond on the result; w is read inside the loop."""
    def body(i, acc):
        def inner(j, a):
            return j + 1, a * 0.9 + 0.1
        _, acc = v1.while_loop(lambda j, a: j < 2, inner, [t.constant(0), acc])
        step = v1.cond(t.equal(i % 2, 0), lambda: t.tanh(t.matmul(acc, w)), lambda: acc + x)
        return i + 1, step
    _, looped = v1.while_loop(lambda i, acc: i < n, body, [t.constant(0), x])
    chosen = v1.cond(t.reduce_sum(x) > 0, lambda: looped * 2.0, lambda: looped - 1.0)
    return t.identity(chosen, name="output")


def _tf1_control_flow_graph(t, v1, directory: Path, rng: np.random.Generator):
    graph = t.Graph()
    with graph.as_default():
        x = v1.placeholder(t.float32, [2, 3], name="x")
        n = v1.placeholder(t.int32, [], name="n")
        out = tf1_loops_and_conds(t, v1, x, n, t.constant(rng.standard_normal((3, 3)).astype(np.float32) * 0.5))
        feeds = [rng.standard_normal((2, 3)).astype(np.float32), np.array(5, np.int32)]
        with v1.Session(graph=graph) as session:
            expected = session.run(out, {x: feeds[0], n: feeds[1]})
        t.io.write_graph(graph.as_graph_def(), str(directory), "graph.pb", as_text=False)
    return {"input_model": str(directory / "graph.pb"), "output": "output"}, feeds, [expected]


def _tf2_control_flow(fmt: str):
    """A tf.function with tf.while_loop (a growing tensor as loop variable, a TensorArray), tf.cond on a run-time
    value, and tf.switch_case; saved functionally (SavedModel) or frozen with the control flow lowered."""
    def write(directory: Path, rng: np.random.Generator):
        t = tf()
        w = rng.standard_normal((3, 3)).astype(np.float32) * 0.5

        class Flow(t.Module):
            @t.function(input_signature=[t.TensorSpec([2, 3], t.float32), t.TensorSpec([], t.int32)])
            def __call__(self, x, n):
                def body(i, acc, grown, ta):
                    acc = t.tanh(t.matmul(acc, w)) + x
                    grown = t.concat([grown, acc[:, :1]], axis=1)
                    return i + 1, acc, grown, ta.write(i, t.reduce_sum(acc))
                _, acc, grown, ta = t.while_loop(
                    lambda i, *_: i < n, body, [0, x, t.zeros([2, 0]), t.TensorArray(t.float32, size=n)],
                    shape_invariants=[t.TensorShape([]), t.TensorShape([2, 3]), t.TensorShape([2, None]), None])
                picked = t.cond(t.reduce_sum(acc) > 0, lambda: acc * 2.0, lambda: acc - 1.0)
                switched = t.switch_case(n % 3, [lambda: acc + 1.0, lambda: acc * acc, lambda: -acc])
                return {"picked": picked, "grown": grown, "sums": ta.stack(), "switched": switched}

        flow = Flow()
        feeds = [rng.standard_normal((2, 3)).astype(np.float32), np.array(4, np.int32)]
        expected = flow(*[t.constant(f) for f in feeds])
        expected = [expected[k].numpy() for k in sorted(expected)]
        if fmt == "saved_model":
            t.saved_model.save(flow, str(directory / "saved_model"), signatures=flow.__call__.get_concrete_function())
            return {"saved_model_dir": str(directory / "saved_model"), "input_names": np.array(["x", "n"])}, \
                feeds, expected
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
        frozen = convert_variables_to_constants_v2(flow.__call__.get_concrete_function())
        t.io.write_graph(frozen.graph.as_graph_def(), str(directory), "model.pb", as_text=False)
        outputs = ",".join(o.name.split(":")[0] for o in frozen.outputs)
        return {"input_model": str(directory / "model.pb"), "output": outputs,
                "input_names": np.array(["x", "n"])}, feeds, expected
    return write


RAW: dict[str, Callable] = {
    "tf2_control_flow_saved_model": _tf2_control_flow("saved_model"),
    "tf2_control_flow_frozen": _tf2_control_flow("frozen"),
    "tf1_control_flow": _tf1_control_flow,
    "wide_and_deep": _wide_and_deep,
    "tf1_meta_ref": _tf1_cnn(False, "meta"),
    "tf1_meta_resource": _tf1_cnn(True, "meta"),
    "tf1_graph_ckpt_ref": _tf1_cnn(False, "graph"),
    "tf1_graph_ckpt_resource": _tf1_cnn(True, "graph"),
}


def check_case(c: Case, tmp_path: Path, rtol: float = 1e-4, atol: float = 1e-5, **options) -> irforge.Model:
    """Convert with irforge, save the IR, and require OpenVINO and the reference runtime to give TensorFlow's
    outputs."""
    graph = irforge.convert_model(c.options.pop("input_model", None), **c.options, **options)
    # A fresh directory per conversion: the reader maps .bin files by path, so never rewrite one in place.
    xml, _ = irforge.save_model(graph, Path(tempfile.mkdtemp(prefix="ir-", dir=tmp_path)) / "model.xml")
    feeds = dict(zip(c.input_names, c.inputs)) if c.input_names else c.inputs
    got_ov = run_openvino(xml, feeds)
    got_ref = run_reference(xml, feeds)
    assert len(got_ov) == len(c.expected), f"OpenVINO gives {len(got_ov)} outputs, TensorFlow {len(c.expected)}"
    scale = max(float(np.max(np.abs(e))) for e in c.expected) if c.expected else 1.0
    for i, (ov_out, ref_out, exp) in enumerate(zip(got_ov, got_ref, c.expected)):
        assert_close(ov_out, exp, rtol, atol * max(scale, 1.0), f"output {i}: OpenVINO vs TensorFlow")
        assert_close(ref_out, exp, rtol, atol * max(scale, 1.0), f"output {i}: reference runtime vs TensorFlow")
    return graph


def check_function(fn, inputs: list[np.ndarray], tmp_path: Path, rtol: float = 1e-4, atol: float = 1e-5,
                   dynamic_batch: bool = False, **options) -> irforge.Model:
    """A small graph: `fn` (TensorFlow ops on tensors) frozen into a .pb, run by TensorFlow for the expected
    outputs, converted by irforge and run by OpenVINO and the reference runtime. dynamic_batch traces the
    graph with an unknown first dimension (so TensorFlow cannot fold shapes that depend on it)."""
    t = tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    specs = [t.TensorSpec([None, *x.shape[1:]] if dynamic_batch else x.shape, t.as_dtype(x.dtype))
             for x in inputs]
    concrete = t.function(fn).get_concrete_function(*specs)
    frozen = convert_variables_to_constants_v2(concrete)
    model = Path(tempfile.mkdtemp(prefix="tf-", dir=tmp_path)) / "model.pb"
    t.io.write_graph(frozen.graph.as_graph_def(), str(model.parent), model.name, as_text=False)
    outputs = fn(*[t.constant(x) for x in inputs])
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    names = [x.name.split(":")[0] for x in concrete.inputs[:len(inputs)]]  # Placeholders, in argument order
    c = Case(tmp_path, {"input_model": str(model), **options}, list(inputs),
             [np.asarray(o) for o in outputs], names if "input" not in options else [])
    return check_case(c, tmp_path, rtol, atol)
