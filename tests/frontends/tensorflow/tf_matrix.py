"""The TensorFlow model x format matrix: every model built once with random weights, saved by TensorFlow in every
format irforge reads, with TensorFlow's own outputs for fixed inputs.

A cell's files live in ${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/tf/matrix-v<N>/<model>/<directory>/
with <format>.npz (inputs in0.., TensorFlow outputs out0.., the names to feed, the convert_model options). Both
checkpoint formats share one directory (one checkpoint, its .meta and the GraphDef beside it). A missing cell is
built on demand; the model is built once per process for all its missing cells (the last model stays in memory).
Every saved artifact is run by TensorFlow itself at build time and must give the eager model's outputs, so a
failing cell is irforge's, not the export's.

The cells are test_tf_matrix.py's; the whole matrix (the default subset and the `heavy` rest) and its table:
  IRFORGE_TF_MATRIX_LOG=/tmp/tf_matrix.jsonl pytest tests/frontends/tensorflow/test_tf_matrix.py -m 'heavy or not heavy'
  python tests/frontends/tensorflow/tf_matrix_table.py /tmp/tf_matrix.jsonl docs/TF_MATRIX.md
"""
from __future__ import annotations

import gc
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from tf_models import (CACHE, MODELS, Case, keras, nms_outputs, random_input, randomize_statistics, tf,
                       tf1_loops_and_conds)

VERSION = 1
ROOT = CACHE / f"matrix-v{VERSION}"
FORMATS = ("frozen", "pbtxt", "keras_export", "tf_save", "meta_ckpt", "graph_ckpt")
DIRECTORY = {"meta_ckpt": "ckpt", "graph_ckpt": "ckpt"}     # formats written together share a directory


@dataclass(frozen=True)
class In:
    """A model input: float32 normal values, or integers in [0, high) ("mask": ones, then zeros for the last
    quarter). `batch` says whether the first dimension is a batch (left dynamic in the SavedModel and checkpoint
    formats) or a fixed size (a SparseTensor's dense shape)."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    high: int | str | None = None
    batch: bool = True

    def value(self, rng: np.random.Generator) -> np.ndarray:
        return random_input(self.shape if self.high is None else (self.shape, self.dtype, self.high), rng)

    def spec(self, dynamic: bool):
        t = tf()
        dims = [None, *self.shape[1:]] if dynamic and self.batch and self.shape else list(self.shape)
        return t.TensorSpec(dims, getattr(t, self.dtype), name=self.name)


@dataclass(frozen=True)
class Model:
    build: Callable          # -> a Keras model ("keras"), or a Tf1Graph ("tf1")
    inputs: tuple[In, ...]
    kind: str = "keras"
    # format -> why this model cannot be saved in it (the cell is listed, and skipped with that reason)
    impossible: dict[str, str] = field(default_factory=dict)


# -- the models ---------------------------------------------------------------------------------------------------
def _app(name: str) -> Model:
    build, [shape] = MODELS[name]
    return Model(build, (In("image", shape),))


def _wide_and_deep():
    """Wide & Deep as a Keras model: a multi-valued categorical feature (a SparseTensor's indices, values and dense
    shape as inputs) through embedding_lookup_sparse (Unique, Gather, SparseSegmentMean) for the deep part and
    per-row sparse segment sums (with and without the row count) for the wide part, dense ids through an
    embedding lookup, and dense features into an MLP."""
    k, t = keras(), tf()

    class SparseEmbeddings(k.layers.Layer):
        def build(self, _):
            self.deep = self.add_weight(shape=(50, 8), initializer="random_normal", name="deep_table")
            self.wide = self.add_weight(shape=(50, 1), initializer="random_normal", name="wide")

        def call(self, indices, values, dense_shape):
            bag = t.SparseTensor(indices, values, dense_shape)
            # .value: the tf.Variable under the Keras variable (TensorFlow's embedding ops read its .device)
            # The wide part, twice: SparseSegmentSumWithNumSegments straight from the table (reads the dense
            # shape: every row gets an output, also empty trailing ones), and SparseSegmentSum.
            return (t.nn.embedding_lookup_sparse(self.deep.value, bag, None, combiner="mean"),
                    t.sparse.segment_sum(self.wide.value, values, indices[:, 0], num_segments=dense_shape[0])
                    + t.nn.embedding_lookup_sparse(self.wide.value, bag, None, combiner="sum"))

        def compute_output_spec(self, indices, values, dense_shape):
            return (k.KerasTensor((None, 8)), k.KerasTensor((None, 1)))

    dense = k.Input((4,), name="features")  # not "dense": the Dense layers' names would clash
    ids = k.Input((3,), dtype="int64", name="ids")
    bag_indices = k.Input((2,), dtype="int64", name="bag_indices")
    bag_values = k.Input(batch_shape=(None,), dtype="int64", name="bag_values")
    bag_shape = k.Input(batch_shape=(2,), dtype="int64", name="bag_shape")
    deep, wide = SparseEmbeddings()(bag_indices, bag_values, bag_shape)
    embedded = k.ops.mean(k.layers.Embedding(20, 8)(ids), axis=1)
    hidden = k.layers.Dense(16, activation="relu")(k.layers.Concatenate()([deep, embedded, dense]))
    return k.Model([dense, ids, bag_indices, bag_values, bag_shape], k.layers.Dense(1)(hidden) + wide)


def _wide_and_deep_inputs():
    """3 rows: row 0 has 3 values (one repeated), row 1 none, row 2 two values (fixed, not random: the sparse
    parts must agree with each other)."""
    return (In("features", (3, 4)), In("ids", (3, 3), "int64", 20),
            In("bag_indices", (5, 2), "int64", "bag_indices"), In("bag_values", (5,), "int64", "bag_values"),
            In("bag_shape", (2,), "int64", "bag_shape", batch=False))


SPARSE_BAG = {"bag_indices": np.array([[0, 0], [0, 1], [0, 2], [2, 0], [2, 1]], np.int64),
              "bag_values": np.array([4, 17, 4, 49, 0], np.int64), "bag_shape": np.array([3, 3], np.int64)}


def _detection():
    """Detection post-processing: anchors (a weight) + regression deltas -> corner boxes, sigmoid scores, then
    NonMaxSuppression V3 (the kept boxes gathered), V4 padded with its valid count, V5 with the kept scores."""
    k, t = keras(), tf()

    class PostProcess(k.layers.Layer):
        def build(self, _):
            self.anchors = self.add_weight(shape=(40, 4), initializer="zeros", trainable=False, name="anchors")

        def call(self, deltas, logits):
            centre = self.anchors[:, :2] + deltas[:, :2] * 0.1
            half = self.anchors[:, 2:] * t.exp(deltas[:, 2:] * 0.2) / 2
            boxes = t.concat([centre - half, centre + half], axis=1)
            return nms_outputs(t, boxes, t.sigmoid(logits))

        def compute_output_spec(self, deltas, logits):
            return (k.KerasTensor((None, 4)), k.KerasTensor((12,), "int32"), k.KerasTensor((), "int32"),
                    k.KerasTensor((None,), "int32"), k.KerasTensor((None,)))

    deltas = k.Input(batch_shape=(None, 4), name="deltas")
    logits = k.Input(batch_shape=(None,), name="logits")
    layer = PostProcess()
    model = k.Model([deltas, logits], list(layer(deltas, logits)))
    rng = np.random.default_rng(5)  # anchors: centres in [0, 0.6), sizes in [0.2, 0.4): many overlaps
    layer.anchors.assign(np.concatenate([rng.uniform(0, 0.6, (40, 2)), rng.uniform(0.2, 0.4, (40, 2))], 1)
                         .astype(np.float32))
    return model


@dataclass
class Tf1Graph:
    """A tf.compat.v1 graph with its session (variables initialised), inputs and outputs."""

    graph: object
    session: object
    inputs: list
    outputs: list

    def close(self):
        self.session.close()


def _tf1_while_loop():
    """tf.compat.v1: a while_loop (counter, accumulator, invariant input), a nested while_loop, and a cond (also
    nested in the loop body), with a reference variable (VariableV2) read inside the loop: TF1's
    Switch/Merge/Enter/Exit frames."""
    t = tf()
    v1 = t.compat.v1
    rng = np.random.default_rng(7)
    v1.disable_control_flow_v2()  # process-wide: switched back below
    try:
        graph = t.Graph()
        with graph.as_default():
            x = v1.placeholder(t.float32, [2, 3], name="x")
            n = v1.placeholder(t.int32, [], name="n")
            w = v1.get_variable("loop/w", initializer=rng.standard_normal((3, 3)).astype(np.float32) * 0.5,
                                use_resource=False)
            out = tf1_loops_and_conds(t, v1, x, n, w)
            session = v1.Session(graph=graph)
            session.run(v1.global_variables_initializer())
    finally:
        v1.enable_control_flow_v2()
    return Tf1Graph(graph, session, [x, n], [out])


KERAS_ONLY = "a TF1 graph is no Keras model: Keras' export traces a Keras model's call in TF2"
MATRIX: dict[str, Model] = {
    **{name: _app(name) for name in ("resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
                                     "efficientnet_b0", "inception_v3", "densenet121", "nasnet_mobile",
                                     "xception", "convnext_tiny", "vgg16")},
    "bert_encoder": Model(MODELS["bert_encoder"][0], (In("input_ids", (1, 16), "int32", 100),
                                                      In("token_type_ids", (1, 16), "int32", 2),
                                                      In("attention_mask", (1, 16), "int32", "mask"))),
    "lstm_gru": Model(MODELS["rnn"][0], (In("sequence", (1, 7, 5)),)),
    "tf1_while_loop": Model(_tf1_while_loop, (In("x", (2, 3)), In("n", (), "int32", "steps")), "tf1",
                            {"keras_export": KERAS_ONLY}),
    "wide_and_deep": Model(_wide_and_deep, _wide_and_deep_inputs()),
    "detection_nms": Model(_detection, (In("deltas", (40, 4)), In("logits", (40,), "float32", "logits"))),
}


def input_values(model: Model, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    values = []
    for spec in model.inputs:
        if spec.high in SPARSE_BAG:
            values.append(SPARSE_BAG[spec.high])
        elif spec.high == "steps":
            values.append(np.array(5, np.int32))
        elif spec.high == "logits":
            values.append(rng.standard_normal(spec.shape).astype(np.float32) * 2)
        else:
            values.append(spec.value(rng))
    return values


# -- building -----------------------------------------------------------------------------------------------------
@dataclass
class Built:
    name: str
    model: Model
    obj: object                    # the Keras model or the Tf1Graph
    inputs: list[np.ndarray]
    expected: list[np.ndarray]


def randomize(model, seed: int) -> None:
    """weights=None gives random kernels but constant biases, normalization scales and offsets, LayerScale factors
    (ConvNeXt: 1e-6) and BatchNormalization statistics, which would hide an error in how any of them is converted.
    Every floating-point weight whose values are all equal becomes random values near that constant (positive
    when it was: variances and scales stay positive)."""
    randomize_statistics(model, seed)
    rng = np.random.default_rng(seed + 100)
    for weight in model.weights:
        if not str(weight.dtype).startswith("float"):
            continue
        value = np.asarray(weight.numpy())
        if value.size < 2 or value.min() != value.max():
            continue
        constant = float(value.flat[0])
        if constant == 0.0:
            new = rng.normal(0.0, 0.1, value.shape)
        elif abs(constant) < 1e-3:  # LayerScale: the residual branch would not count at all
            new = rng.uniform(0.05, 0.3, value.shape)
        else:
            new = constant * rng.uniform(0.8, 1.2, value.shape)
        weight.assign(new.astype(value.dtype))


def _as_list(y) -> list:
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _forward(model):
    def call(*xs):
        return _as_list(model(list(xs) if len(xs) > 1 else xs[0], training=False))
    return call


def build(name: str, seed: int = 0) -> Built:
    model = MATRIX[name]
    inputs = input_values(model)
    if model.kind == "tf1":
        g = model.build()
        feeds = {p: x for p, x in zip(g.inputs, inputs)}
        return Built(name, model, g, inputs, [np.asarray(y) for y in g.session.run(g.outputs, feeds)])
    k = keras()
    k.utils.set_random_seed(seed)
    obj = model.build()
    randomize(obj, seed)
    expected = [np.asarray(y) for y in _forward(obj)(*[tf().constant(x) for x in inputs])]
    return Built(name, model, obj, inputs, expected)


# -- saving: each saver writes a directory and returns {format: (convert_model options, names to feed)} ----------
def _save_frozen(b: Built, directory: Path, text: bool) -> dict:
    t = tf()
    name = "model.pbtxt" if text else "model.pb"
    if b.model.kind == "tf1":
        graph_def = t.compat.v1.graph_util.convert_variables_to_constants(
            b.obj.session, b.obj.graph.as_graph_def(), [o.op.name for o in b.obj.outputs])
        names = [p.op.name for p in b.obj.inputs]
        fetches = [o.name for o in b.obj.outputs]
    else:
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
        fn = t.function(_forward(b.obj)).get_concrete_function(*[s.spec(dynamic=False) for s in b.model.inputs])
        frozen = convert_variables_to_constants_v2(fn)
        graph_def = frozen.graph.as_graph_def()
        names = [x.name.split(":")[0] for x in frozen.inputs]  # in argument order (the GraphDef's may differ)
        fetches = [y.name for y in frozen.outputs]
    t.io.write_graph(graph_def, str(directory), name, as_text=text)
    options = {"input_model": name, **({"input_model_is_text": True} if text else {})}
    fmt = "pbtxt" if text else "frozen"
    _verify(b, _run_graph_def(directory / name, text, dict(zip(names, b.inputs)), fetches), fmt)
    return {fmt: (options, names)}


def _save_keras_export(b: Built, directory: Path) -> dict:
    b.obj.export(str(directory / "saved_model"), verbose=False)
    names = [x.name.split(":")[0] for x in b.obj.inputs]  # the signature's keys
    _verify(b, _run_saved_model(directory / "saved_model", dict(zip(names, b.inputs))), "keras_export")
    return {"keras_export": ({"saved_model_dir": "saved_model"}, names)}


def _save_tf_save(b: Built, directory: Path) -> dict:
    """tf.saved_model.save(obj, signatures=concrete_fn): a Keras model's call traced with a dynamic batch, or
    (TF1) the frozen graph imported into a wrapped function and pruned to its inputs and outputs."""
    t = tf()
    module = t.Module()
    if b.model.kind == "tf1":
        graph_def = t.compat.v1.graph_util.convert_variables_to_constants(
            b.obj.session, b.obj.graph.as_graph_def(), [o.op.name for o in b.obj.outputs])
        wrapped = t.compat.v1.wrap_function(lambda: t.compat.v1.import_graph_def(graph_def, name=""), [])
        get = wrapped.graph.get_tensor_by_name
        signature = wrapped.prune([get(p.name) for p in b.obj.inputs],
                                  {f"output_{i}": get(o.name) for i, o in enumerate(b.obj.outputs)})
        module.graph = wrapped
    else:
        forward = _forward(b.obj)
        module.model = b.obj
        fn = t.function(lambda *xs: {f"output_{i}": y for i, y in enumerate(forward(*xs))})
        signature = fn.get_concrete_function(*[s.spec(dynamic=True) for s in b.model.inputs])
    t.saved_model.save(module, str(directory / "saved_model"), signatures=signature)
    names = [s.name for s in b.model.inputs]
    _verify(b, _run_saved_model(directory / "saved_model", dict(zip(names, b.inputs))), "tf_save")
    return {"tf_save": ({"saved_model_dir": "saved_model"}, names)}


def _save_checkpoint(b: Built, directory: Path) -> dict:
    """tf.compat.v1.train.Saver: PREFIX.index/.data + PREFIX.meta, and the GraphDef (graph.pb) beside them. A Keras
    model becomes a TF1 graph first: its call traced with a dynamic batch, the captured variables turned into
    resource variables (named by their Keras paths) holding the model's values."""
    t = tf()
    v1 = t.compat.v1
    g = b.obj if b.model.kind == "tf1" else _tf1_graph_of(b)
    prefix = str(directory / "model.ckpt")
    with g.graph.as_default():
        v1.train.Saver().save(g.session, prefix)
    t.io.write_graph(g.graph.as_graph_def(), str(directory), "graph.pb", as_text=False)
    names = [p.op.name for p in g.inputs]
    fetches = [o.name for o in g.outputs]
    if g is not b.obj:
        g.close()
    _verify(b, _run_checkpoint(directory / "model.ckpt.meta", None, names, fetches, b.inputs), "meta_ckpt")
    _verify(b, _run_checkpoint(directory / "graph.pb", prefix, names, fetches, b.inputs), "graph_ckpt")
    return {"meta_ckpt": ({"input_meta_graph": "model.ckpt.meta"}, names),
            "graph_ckpt": ({"input_model": "graph.pb", "input_checkpoint": "model.ckpt"}, names)}


def _tf1_graph_of(b: Built) -> Tf1Graph:
    t = tf()
    v1 = t.compat.v1
    concrete = t.function(_forward(b.obj)).get_concrete_function(*[s.spec(dynamic=True) for s in b.model.inputs])
    outputs = [o.name for o in concrete.outputs]
    # Only what the outputs need (a traced Keras call leaves dead ends a TF1 graph would not have).
    graph_def = v1.graph_util.extract_sub_graph(concrete.graph.as_graph_def(), [o.split(":")[0] for o in outputs])
    variables = {}
    for weight in b.obj.weights:
        variable = getattr(weight, "value", weight)
        variables[id(variable.handle)] = (weight.path, np.asarray(weight.numpy()))
    graph = t.Graph()
    assignments = []
    with graph.as_default():
        placeholders = [v1.placeholder(s.spec(True).dtype, s.spec(True).shape, name=s.name) for s in b.model.inputs]
        input_map = {arg.name: p for arg, p in zip(concrete.inputs, placeholders)}
        used = set()
        for external, internal in concrete.graph.captures:
            if id(external) in variables:
                path, value = variables[id(external)]
                while path in used:
                    path += "_1"
                used.add(path)
                var = v1.get_variable(path, shape=value.shape, dtype=value.dtype,
                                      initializer=v1.zeros_initializer(), use_resource=True)
                assignments.append((var, value))
                input_map[internal.name] = var.handle
            else:  # a captured constant
                input_map[internal.name] = t.constant(external.numpy())
        results = t.graph_util.import_graph_def(graph_def, input_map=input_map, return_elements=outputs,
                                                name="model")
        results = [t.identity(r, name=f"output_{i}") for i, r in enumerate(results)]
    session = v1.Session(graph=graph)
    for var, value in assignments:  # fed, so the graph holds no copy of the weights
        session.run(var.initializer, {var.initializer.inputs[1]: value})
    return Tf1Graph(graph, session, placeholders, results)


SAVERS: dict[str, Callable] = {
    "frozen": lambda b, d: _save_frozen(b, d, text=False),
    "pbtxt": lambda b, d: _save_frozen(b, d, text=True),
    "keras_export": _save_keras_export,
    "tf_save": _save_tf_save,
    "ckpt": _save_checkpoint,
}


# -- TensorFlow running what was saved ----------------------------------------------------------------------------
def _run_graph_def(path: Path, text: bool, feeds: dict, fetches: list[str]) -> list[np.ndarray]:
    t = tf()
    v1 = t.compat.v1
    graph_def = v1.GraphDef()
    if text:
        from google.protobuf import text_format
        text_format.Parse(path.read_text(), graph_def)
    else:
        graph_def.ParseFromString(path.read_bytes())
    graph = t.Graph()
    with graph.as_default():
        t.graph_util.import_graph_def(graph_def, name="")
    with v1.Session(graph=graph) as session:
        return session.run(fetches, {f"{k}:0": v for k, v in feeds.items()})


def _run_saved_model(path: Path, feeds: dict) -> list[np.ndarray]:
    t = tf()
    out = t.saved_model.load(str(path)).signatures["serving_default"](**{k: t.constant(v) for k, v in feeds.items()})
    natural = lambda key: [int(p) if p.isdigit() else p for p in __import__("re").split(r"(\d+)", key)]  # noqa
    return [out[key].numpy() for key in sorted(out, key=natural)]


def _run_checkpoint(path: Path, prefix: str | None, names: list[str], fetches: list[str], inputs) -> list:
    t = tf()
    v1 = t.compat.v1
    graph = t.Graph()
    with graph.as_default(), v1.Session(graph=graph) as session:
        if prefix is None:
            v1.train.import_meta_graph(str(path)).restore(session, str(path)[:-len(".meta")])
        else:
            graph_def = v1.GraphDef()
            graph_def.ParseFromString(path.read_bytes())
            t.graph_util.import_graph_def(graph_def, name="")
            session.run("save/restore_all", {"save/Const:0": prefix})
        return session.run(fetches, {f"{n}:0": x for n, x in zip(names, inputs)})


def _verify(b: Built, got: list, fmt: str) -> None:
    """The saved artifact, run by TensorFlow, must give the eager model's outputs (else the export is at fault)."""
    assert len(got) == len(b.expected), f"{b.name} {fmt}: TensorFlow gives {len(got)} outputs from the saved " \
                                        f"model, {len(b.expected)} from the model"
    for i, (g, e) in enumerate(zip(got, b.expected)):
        scale = float(np.max(np.abs(e))) if e.size and e.dtype.kind == "f" else 1.0
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-4, atol=1e-5 * max(scale, 1e-6),
                                   err_msg=f"{b.name} {fmt} output {i}: TensorFlow running the saved model")


# -- the cells ----------------------------------------------------------------------------------------------------
_LAST: list[Built] = []  # the model built last (the matrix runs model by model)
PATH_OPTIONS = ("input_model", "saved_model_dir", "input_meta_graph", "input_checkpoint")


def _built(name: str) -> Built:
    if _LAST and _LAST[0].name == name:
        return _LAST[0]
    while _LAST:
        old = _LAST.pop()
        if isinstance(old.obj, Tf1Graph):
            old.obj.close()
        del old
        keras().backend.clear_session()
        gc.collect()
    _LAST.append(build(name))
    return _LAST[0]


def matrix_case(name: str, fmt: str) -> Case:
    """The cached cell (model `name` saved in `fmt`), built on first use."""
    kind = DIRECTORY.get(fmt, fmt)
    directory = ROOT / name / kind
    if not (directory / f"{fmt}.npz").exists():
        tmp = directory.with_name(kind + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        b = _built(name)
        for produced, (options, names) in SAVERS[kind](b, tmp).items():
            np.savez(tmp / f"{produced}.npz", **{f"in{i}": x for i, x in enumerate(b.inputs)},
                     **{f"out{i}": y for i, y in enumerate(b.expected)}, input_names=np.array(names),
                     **{f"opt_{k}": v for k, v in options.items()})
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)
    data = np.load(directory / f"{fmt}.npz", allow_pickle=False)
    options = {k[4:]: (bool(v) if v.dtype == bool else str(v)) for k, v in data.items() if k.startswith("opt_")}
    for key in PATH_OPTIONS:
        if key in options:
            options[key] = str(directory / options[key])
    count = lambda prefix: sum(k[len(prefix):].isdigit() for k in data if k.startswith(prefix))  # noqa: E731
    return Case(directory, options, [data[f"in{i}"] for i in range(count("in"))],
                [data[f"out{i}"] for i in range(count("out"))], [str(v) for v in data["input_names"]])
