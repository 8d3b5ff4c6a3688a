"""A test-side nnet3: write a network (text or binary) and compute it the way nnet3-compute does, in numpy,
frame by frame with Kaldi's computability rules (input frames exist from -left_context to T-1+right_context,
edge-replicated; IfDefined gives zeros where its input is not computable; Failover falls back). Written from
the Kaldi sources, independently of irforge's frontend."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import numpy as np

from kaldi_models import Writer, sigmoid


# -- components: (file writer, per-frame numpy function, time offsets) ------------------------------------------
@dataclass
class C:
    type: str
    fields: list[tuple[str, object]]          # (token, value) in file order; value kinds by Python type
    fn: object                                # numpy: [D_in] -> [D_out]
    offsets: tuple[int, ...] = (0,)           # TdnnComponent time offsets
    optional: frozenset = frozenset()         # offsets read as zeros where not computable (convolution padding)


def _nonlinear(type_name: str, dim: int, fn, block: int | None = None) -> C:
    fields: list[tuple[str, object]] = [("<Dim>", dim)]
    if block:
        fields.append(("<BlockDim>", block))
    fields += [("<ValueAvg>", np.zeros(dim, np.float32)), ("<DerivAvg>", np.zeros(dim, np.float32)),
               ("<Count>", 0.0), ("<NumDimsSelfRepaired>", 0.0), ("<NumDimsProcessed>", 0.0)]
    return C(type_name, fields, fn)


def affine(w, b, natural=True) -> C:
    kind = "NaturalGradientAffineComponent" if natural else "AffineComponent"
    return C(kind, [("<MaxChange>", 0.75), ("<LearningRate>", 0.001), ("<LinearParams>", w), ("<BiasParams>", b),
                    ("<RankIn>", 20), ("<RankOut>", 80), ("<UpdatePeriod>", 4), ("<NumSamplesHistory>", 2000.0),
                    ("<Alpha>", 4.0), ("<IsGradient>", False)], lambda x: w @ x + b)


def fixed_affine(w, b) -> C:
    return C("FixedAffineComponent", [("<LinearParams>", w), ("<BiasParams>", b)], lambda x: w @ x + b)


def linear(w) -> C:
    return C("LinearComponent", [("<LearningRate>", 0.001), ("<Params>", w), ("<OrthonormalConstraint>", -1.0),
                                 ("<UseNaturalGradient>", True), ("<RankInOut>", 20), ("<Alpha>", 4.0),
                                 ("<NumSamplesHistory>", 2000.0), ("<UpdatePeriod>", 4)], lambda x: w @ x)


def tdnn(offsets, w, b=None) -> C:
    bias = np.zeros(0, np.float32) if b is None else b
    return C("TdnnComponent", [("<LearningRate>", 0.001), ("<TimeOffsets>", list(offsets)), ("<LinearParams>", w),
                               ("<BiasParams>", bias), ("<OrthonormalConstraint>", 0.0),
                               ("<UseNaturalGradient>", True), ("<NumSamplesHistory>", 2000.0),
                               ("<AlphaInOut>", 4.0), ("<RankInOut>", 20)],
             lambda x: w @ x + (0 if b is None else b), tuple(offsets))


def relu(dim) -> C:
    return _nonlinear("RectifiedLinearComponent", dim, lambda x: np.maximum(x, 0))


def sigmoid_c(dim) -> C:
    return _nonlinear("SigmoidComponent", dim, sigmoid)


def tanh_c(dim) -> C:
    return _nonlinear("TanhComponent", dim, np.tanh)


def log_softmax(dim, block=None) -> C:
    def fn(x):
        g = x.reshape(-1, block or dim)
        g = g - g.max(axis=1, keepdims=True)
        return (g - np.log(np.exp(g).sum(axis=1, keepdims=True))).reshape(-1)
    return _nonlinear("LogSoftmaxComponent", dim, fn, block)


def softmax_c(dim, block=None) -> C:
    def fn(x):
        g = x.reshape(-1, block or dim)
        e = np.exp(g - g.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).reshape(-1)
    return _nonlinear("SoftmaxComponent", dim, fn, block)


def batch_norm(dim, block, mean, var, eps=1e-3, target_rms=1.0) -> C:
    def fn(x):
        g = x.reshape(-1, block)
        return ((g - mean) * target_rms / np.sqrt(var + eps)).reshape(-1)
    return C("BatchNormComponent", [("<Dim>", dim), ("<BlockDim>", block), ("<Epsilon>", eps),
                                    ("<TargetRms>", target_rms), ("<TestMode>", False), ("<Count>", 100.0),
                                    ("<StatsMean>", mean), ("<StatsVar>", var)], fn)


def normalize(dim, target_rms=1.0, add_log_stddev=False, block=None) -> C:
    b = block or dim

    def fn(x):
        g = x.reshape(-1, b)
        p = np.maximum((g * g).sum(axis=1, keepdims=True) / (b * target_rms ** 2), 2.0 ** -66)
        y = g / np.sqrt(p)
        if add_log_stddev:
            y = np.concatenate([y, np.log(np.sqrt(p) * target_rms)], axis=1)
        return y.reshape(-1)
    fields = [("<InputDim>", dim)] + ([("<BlockDim>", block)] if block else []) + \
        [("<TargetRms>", target_rms), ("<AddLogStddev>", add_log_stddev)]
    return C("NormalizeComponent", fields, fn)


def pnorm(n_in, n_out, p=2.0) -> C:
    return C("PnormComponent", [("<InputDim>", n_in), ("<OutputDim>", n_out), ("<P>", p)],
             lambda x: (np.abs(x.reshape(n_out, -1)) ** p).sum(axis=1) ** (1 / p))


def sum_group(sizes) -> C:
    edges = np.cumsum([0] + list(sizes))
    return C("SumGroupComponent", [("<Sizes>", list(sizes))],
             lambda x: np.array([x[a:b].sum() for a, b in zip(edges[:-1], edges[1:])]))


def elementwise_product(n_in, n_out) -> C:
    return C("ElementwiseProductComponent", [("<InputDim>", n_in), ("<OutputDim>", n_out)],
             lambda x: np.prod(x.reshape(-1, n_out), axis=0))


def per_element_scale(params) -> C:
    return C("NaturalGradientPerElementScaleComponent", [("<LearningRate>", 0.001), ("<Params>", params),
                                                         ("<IsGradient>", False)], lambda x: x * params)


def per_element_offset(offsets, dim) -> C:
    return C("PerElementOffsetComponent", [("<LearningRate>", 0.001), ("<Offsets>", offsets), ("<Dim>", dim),
                                           ("<UseNaturalGradient>", True)],
             lambda x: x + np.tile(offsets, dim // offsets.size))


def scale_and_offset(dim, scales, offsets) -> C:
    safe = np.where(np.abs(scales) < 1e-4, np.where(scales < 0, -1e-4, 1e-4), scales)
    return C("ScaleAndOffsetComponent", [("<LearningRate>", 0.001), ("<Dim>", dim), ("<Scales>", scales),
                                         ("<Offsets>", offsets), ("<UseNaturalGradient>", True), ("<Rank>", 20)],
             lambda x: (x.reshape(-1, scales.size) * safe + offsets).reshape(-1))


def permute(column_map) -> C:
    return C("PermuteComponent", [("<ColumnMap>", list(column_map))], lambda x: x[np.asarray(column_map)])


def identity(type_name, dim, **extra) -> C:
    fields: list[tuple[str, object]] = [("<Dim>", dim)] + list(extra.items())
    return C(type_name, fields, lambda x: x)


def backprop_truncation(dim, scale) -> C:
    return C("BackpropTruncationComponent", [("<Dim>", dim), ("<Scale>", scale), ("<ClippingThreshold>", 30.0),
                                             ("<ZeroingThreshold>", 15.0), ("<ZeroingInterval>", 20),
                                             ("<RecurrenceInterval>", 1), ("<NumElementsClipped>", 0.0),
                                             ("<NumElementsZeroed>", 0.0), ("<NumElementsProcessed>", 0.0),
                                             ("<NumZeroingBoundaries>", 0.0)], lambda x: x * scale)


def dropout(dim, proportion) -> C:
    return C("DropoutComponent", [("<Dim>", dim), ("<DropoutProportion>", proportion),
                                  ("<DropoutPerFrame>", False), ("<TestMode>", False)],
             lambda x: x * (1 - proportion))


def time_height_convolution(f_in, f_out, h_in, h_out, sub, offsets, required, w, b) -> C:
    """y[h, :] = b + sum_k W_k x[t + time_k, h * sub + height_k, :], zero outside the input height."""
    times = sorted({t for t, _ in offsets})

    def fn(x):
        frames = x.reshape(len(times), h_in, f_in)
        y = np.tile(b.astype(np.float64), (h_out, 1))
        for k, (t, dh) in enumerate(offsets):
            w_k = w[:, k * f_in:(k + 1) * f_in]
            for h in range(h_out):
                if 0 <= h * sub + dh < h_in:
                    y[h] += w_k @ frames[times.index(t), h * sub + dh]
        return y.reshape(-1)
    fields = [("<LearningRate>", 0.001), ("<Model>", None), ("<ConvolutionModel>", None), ("<NumFiltersIn>", f_in),
              ("<NumFiltersOut>", f_out), ("<HeightIn>", h_in), ("<HeightOut>", h_out),
              ("<HeightSubsampleOut>", sub), ("<Offsets>", list(offsets)), ("<RequiredTimeOffsets>", list(required)),
              ("</ConvolutionModel>", None), ("<LinearParams>", w), ("<BiasParams>", b), ("<MaxMemoryMb>", 200.0),
              ("<UseNaturalGradient>", True), ("<NumMinibatchesHistory>", 4.0), ("<AlphaInOut>", (4.0, 4.0)),
              ("<RankInOut>", (20, 80))]
    return C("TimeHeightConvolutionComponent", fields, fn, tuple(times),
             frozenset(t for t in times if t not in required))


def restricted_attention(heads, key_dim, value_dim, left, right, stride, left_required, right_required,
                         output_context, key_scale) -> C:
    context = left + 1 + right
    per_head = 2 * key_dim + value_dim + context

    def fn(x):
        frames = x.reshape(context, heads * per_head)
        out = []
        for h in range(heads):
            block = frames[:, h * per_head:(h + 1) * per_head]
            keys, values = block[:, :key_dim], block[:, key_dim:key_dim + value_dim]
            query = block[left, key_dim + value_dim:]
            b = key_scale * keys @ query[:key_dim] + query[key_dim:]
            c = np.exp(b - b.max())
            c /= c.sum()
            out.append(c @ values)
            if output_context:
                out.append(c)
        return np.concatenate(out)
    offsets = tuple(j * stride for j in range(-left, right + 1))
    optional = frozenset(j * stride for j in range(-left, right + 1) if j < -left_required or j > right_required)
    fields = [("<NumHeads>", heads), ("<KeyDim>", key_dim), ("<ValueDim>", value_dim), ("<NumLeftInputs>", left),
              ("<NumRightInputs>", right), ("<TimeStride>", stride), ("<NumLeftInputsRequired>", left_required),
              ("<NumRightInputsRequired>", right_required), ("<OutputContext>", output_context),
              ("<KeyScale>", key_scale), ("<StatsCount>", 0.0), ("<EntropyStats>", np.zeros(0, np.float32)),
              ("<PosteriorStats>", np.zeros((0, 0), np.float32))]
    return C("RestrictedAttentionComponent", fields, fn, offsets, optional)


def maxpooling(dims, sizes, steps) -> C:
    counts = [1 + (d - s) // st for d, s, st in zip(dims, sizes, steps)]

    def fn(x):
        cube = x.reshape(dims)
        out = []
        for xp in range(counts[0]):
            for yp in range(counts[1]):
                for zp in range(counts[2]):
                    out.append(cube[xp * steps[0]:xp * steps[0] + sizes[0], yp * steps[1]:yp * steps[1] + sizes[1],
                                    zp * steps[2]:zp * steps[2] + sizes[2]].max())
        return np.array(out)
    fields = [(f"<Input{a}Dim>", d) for a, d in zip("XYZ", dims)] + \
        [(f"<Pool{a}Size>", s) for a, s in zip("XYZ", sizes)] + [(f"<Pool{a}Step>", s) for a, s in zip("XYZ", steps)]
    return C("MaxpoolingComponent", fields, fn)


def lstm_nonlinearity(params, use_dropout: bool = False) -> C:
    cell = params.shape[1]

    def fn(x):
        i, f, c, o, c_prev = (x[k * cell:(k + 1) * cell] for k in range(5))
        i_scale, f_scale, o_scale = x[5 * cell:5 * cell + 3] if use_dropout else (1.0, 1.0, 1.0)
        i = sigmoid(i + params[0] * c_prev)
        f = sigmoid(f + params[1] * c_prev)
        c_t = f * f_scale * c_prev + i * i_scale * np.tanh(c)
        o = sigmoid(o + params[2] * c_t)
        return np.concatenate([c_t, o * o_scale * np.tanh(c_t)])
    return C("LstmNonlinearityComponent", [("<MaxChange>", 0.75), ("<LearningRate>", 0.001), ("<Params>", params),
                                           ("<ValueAvg>", np.zeros((5, cell), np.float32)),
                                           ("<DerivAvg>", np.zeros((5, cell), np.float32)),
                                           ("<SelfRepairConfig>", np.zeros(10, np.float32)),
                                           ("<SelfRepairProb>", np.zeros(5, np.float32))] +
             ([("<UseDropout>", True)] if use_dropout else []) + [("<Count>", 0.0)], fn)


def dropout_mask(dim, proportion) -> C:
    """DropoutMaskComponent in test mode: 1 - proportion everywhere; its input only sets the frame count."""
    return C("DropoutMaskComponent", [("<OutputDim>", dim), ("<DropoutProportion>", proportion)],
             lambda x: np.full(dim, 1.0 - proportion))


def constant(values) -> C:
    return C("ConstantComponent", [("<Output>", values), ("<IsUpdatable>", True), ("<UseNaturalGradient>", True)],
             lambda x: values.astype(np.float64))


# -- the network ------------------------------------------------------------------------------------------------
@dataclass
class Net3:
    inputs: dict[str, int]
    lines: list[str] = field(default_factory=list)
    nodes: dict[str, tuple] = field(default_factory=dict)        # name -> ("component", desc, C) | ("range", ...)
    outputs: dict[str, str] = field(default_factory=dict)

    def component(self, name: str, desc: str, c: C) -> Net3:
        self.lines.append(f"component-node name={name} component={name} input={desc}")
        self.nodes[name] = ("component", parse(desc), c)
        return self

    def dim_range(self, name: str, of: str, offset: int, dim: int) -> Net3:
        self.lines.append(f"dim-range-node name={name} input-node={of} dim-offset={offset} dim={dim}")
        self.nodes[name] = ("range", of, offset, dim)
        return self

    def output(self, name: str, desc: str) -> Net3:
        self.lines.append(f"output-node name={name} input={desc} objective=linear")
        self.outputs[name] = desc
        return self

    def write(self, binary: bool) -> bytes:
        w = Writer(binary)
        w.raw("<Nnet3> \n")
        for name, dim in self.inputs.items():
            w.raw(f"input-node name={name} dim={dim}\n")
        for line in self.lines:
            w.raw(line + "\n")
        w.raw("\n").token("<NumComponents>").int(sum(1 for n in self.nodes.values() if n[0] == "component"))
        for name, node in self.nodes.items():
            if node[0] != "component":
                continue
            w.token("<ComponentName>").token(name)
            _write_component(w, node[2])
        w.token("</Nnet3>")
        return w.bytes()

    # -- evaluation ---------------------------------------------------------------------------------------------
    def compute(self, feeds: dict[str, np.ndarray], output: str = "output", frames: range | None = None,
                pad: bool = True) -> np.ndarray:
        """nnet3-compute for one utterance as one chunk: outputs for `frames` (default 0..T-1). With pad=False
        only the given input frames exist (a chunk cut from a longer utterance, its context included)."""
        sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
        total = len(next(iter(feeds.values())))
        left, right = self.context(output) if pad else (0, 0)
        memo: dict[tuple[str, int], np.ndarray | None] = {}

        def node(name: str, t: int):
            if name in self.inputs:
                x = feeds[name]
                return x[min(max(t, 0), total - 1)].astype(np.float64) if -left <= t <= total - 1 + right else None
            key = (name, t)
            if key not in memo:
                memo[key] = None   # a recursion into itself without IfDefined is not computable
                memo[key] = compute_node(name, t)
            return memo[key]

        def compute_node(name: str, t: int):
            spec = self.nodes[name]
            if spec[0] == "range":
                v = node(spec[1], t)
                return None if v is None else v[spec[2]:spec[2] + spec[3]]
            _, desc, c = spec
            parts = []
            for o in c.offsets:
                parts.append(evaluate(desc, t + o))
                if parts[-1] is None and o in c.optional:
                    parts[-1] = np.zeros(self.dim(desc))
                if parts[-1] is None:
                    return None
            return np.asarray(c.fn(np.concatenate(parts)), np.float64)

        def evaluate(d, t: int):
            kind = d[0]
            if kind == "node":
                return node(d[1], t)
            if kind == "Offset":
                return evaluate(d[1], t + d[2])
            if kind == "IfDefined":
                v = evaluate(d[1], t)
                return v if v is not None else np.zeros(self.dim(d[1]))
            if kind == "Failover":
                v = evaluate(d[1], t)
                return v if v is not None else evaluate(d[2], t)
            if kind == "Scale":
                v = evaluate(d[2], t)
                return None if v is None else d[1] * v
            if kind == "Const":
                return np.full(d[2], d[1])
            parts = []
            for p in d[1]:  # left to right, stopping at the first part that is not computable
                parts.append(evaluate(p, t))
                if parts[-1] is None:
                    return None
            return np.concatenate(parts) if kind == "Append" else np.sum(parts, axis=0)

        desc = parse(self.outputs[output])
        rows = [evaluate(desc, t) for t in (frames if frames is not None else range(total))]
        assert all(r is not None for r in rows), "output not computable: context estimate is wrong"
        return np.array(rows)

    def dim(self, d) -> int:
        kind = d[0]
        if kind == "node":
            if d[1] in self.inputs:
                return self.inputs[d[1]]
            spec = self.nodes[d[1]]
            if spec[0] == "range":
                return spec[3]
            return len(spec[2].fn(np.zeros(self.dim(spec[1]) * len(spec[2].offsets))))
        if kind in ("Offset", "IfDefined"):
            return self.dim(d[1])
        if kind == "Failover":
            return self.dim(d[1])
        if kind == "Scale":
            return self.dim(d[2])
        if kind == "Const":
            return d[2]
        dims = [self.dim(p) for p in d[1]]
        return sum(dims) if kind == "Append" else dims[0]

    def context(self, output: str) -> tuple[int, int]:
        """Kaldi's model context by probing: the least left/right input padding that makes the output at the
        first/last frame computable (IfDefined never needs any)."""
        desc = parse(self.outputs[output])

        def computable(t: int, lo: int, hi: int, seen: frozenset) -> bool:
            return self._computable(desc, t, lo, hi, seen)

        left = next(p for p in range(40) if computable(0, -p, 10 ** 6, frozenset()))
        right = next(p for p in range(40) if computable(0, -(10 ** 6), p, frozenset()))
        return left, right

    def _computable(self, d, t: int, lo: int, hi: int, seen: frozenset) -> bool:
        kind = d[0]
        if kind == "node":
            name = d[1]
            if name in self.inputs:
                return lo <= t <= hi
            if (name, t) in seen:
                return False
            seen = seen | {(name, t)}
            spec = self.nodes[name]
            if spec[0] == "range":
                return self._computable(("node", spec[1]), t, lo, hi, seen)
            return all(self._computable(spec[1], t + o, lo, hi, seen) for o in spec[2].offsets
                       if o not in spec[2].optional)
        if kind == "Offset":
            return self._computable(d[1], t + d[2], lo, hi, seen)
        if kind in ("IfDefined", "Const"):
            return True
        if kind == "Failover":
            return self._computable(d[1], t, lo, hi, seen) or self._computable(d[2], t, lo, hi, seen)
        if kind == "Scale":
            return self._computable(d[2], t, lo, hi, seen)
        return all(self._computable(p, t, lo, hi, seen) for p in d[1])


def _write_component(w: Writer, c: C) -> None:
    """<Type> fields </Type>; a field (None, C) is a nested component (CompositeComponent)."""
    w.token(f"<{c.type}>")
    for tok, value in c.fields:
        if tok is None:
            _write_component(w, value)
            continue
        w.token(tok)
        if value is None:
            continue
        if isinstance(value, tuple):          # several scalars after one token
            for v in value:
                w.int(v) if isinstance(v, int) else w.float(v)
        elif isinstance(value, list) and value and isinstance(value[0], tuple):
            w.int_pair_vector(value)
        elif isinstance(value, bool):
            w.bool(value)
        elif isinstance(value, int):
            w.int(value)
        elif isinstance(value, float):
            w.float(value)
        elif isinstance(value, list):
            w.int_vector(value)
        elif np.asarray(value).ndim == 2:
            w.matrix(value)
        else:
            w.vector(value)
    w.token(f"</{c.type}>")


def composite(*parts: C) -> C:
    def fn(x):
        for p in parts:
            x = p.fn(x)
        return x
    fields = [("<MaxRowsProcess>", 2048), ("<NumComponents>", len(parts)), ("<Components>", None)]
    fields += [(None, p) for p in parts] + [("</Components>", None)]
    return C("CompositeComponent", fields, fn)


def parse(text: str):
    """Descriptor text -> nested tuples: ("node", name) | ("Offset", d, t) | ("Append"|"Sum", [d..]) |
    ("IfDefined", d) | ("Failover", a, b) | ("Scale", s, d) | ("Const", v, dim)."""
    tokens = re.findall(r"[A-Za-z_][\w.\-]*|-?\d+\.?\d*(?:e-?\d+)?|[(),]", text)
    pos = 0

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def desc():
        tok = take()
        if pos < len(tokens) and tokens[pos] == "(":
            take()
            if tok == "Offset":
                inner = desc(); take(); t = int(take()); take()  # noqa: E702
                return ("Offset", inner, t)
            if tok == "Scale":
                s = float(take()); take(); inner = desc(); take()  # noqa: E702
                return ("Scale", s, inner)
            if tok == "Const":
                v = float(take()); take(); n = int(take()); take()  # noqa: E702
                return ("Const", v, n)
            args = [desc()]
            while take() == ",":
                args.append(desc())
            if tok == "IfDefined":
                return ("IfDefined", args[0])
            if tok == "Failover":
                return ("Failover", args[0], args[1])
            return (tok, args)
        return ("node", tok)

    return desc()
