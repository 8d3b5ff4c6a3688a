"""Test-side Kaldi model writers (text and binary, as Kaldi's io-funcs write them) and numpy implementations
of the component maths, written from the Kaldi sources independently of irforge's frontend code."""
from __future__ import annotations

import struct

import numpy as np


class Writer:
    """Kaldi's WriteToken / WriteBasicType / Matrix::Write / WriteIntegerVector, text or binary."""

    def __init__(self, binary: bool):
        self.binary = binary
        self.parts: list[bytes] = [b"\0B"] if binary else []

    def raw(self, text: str) -> Writer:
        self.parts.append(text.encode())
        return self

    def token(self, tok: str) -> Writer:
        return self.raw(tok + " ")

    def int(self, v: int) -> Writer:
        self.parts.append(b"\x04" + struct.pack("<i", v) if self.binary else f"{v} ".encode())
        return self

    def float(self, v: float) -> Writer:
        self.parts.append(b"\x04" + struct.pack("<f", v) if self.binary else f"{v!r} ".encode())
        return self

    def double(self, v: float) -> Writer:
        self.parts.append(b"\x08" + struct.pack("<d", v) if self.binary else f"{v!r} ".encode())
        return self

    def bool(self, v: bool) -> Writer:
        self.parts.append((b"T" if v else b"F") if self.binary else (b"T " if v else b"F "))
        return self

    def matrix(self, m: np.ndarray) -> Writer:
        m = np.asarray(m, np.float32)
        if self.binary:
            self.parts.append(b"FM " + b"\x04" + struct.pack("<i", m.shape[0]) + b"\x04" +
                              struct.pack("<i", m.shape[1]) + m.astype("<f4").tobytes())
        elif m.size == 0:
            self.parts.append(b" [ ]\n")
        else:
            rows = "\n".join("  " + " ".join(repr(float(v)) for v in row) for row in m)
            self.parts.append(f" [\n{rows} ]\n".encode())
        return self

    def vector(self, v: np.ndarray) -> Writer:
        v = np.asarray(v, np.float32).reshape(-1)
        if self.binary:
            self.parts.append(b"FV " + b"\x04" + struct.pack("<i", v.size) + v.astype("<f4").tobytes())
        else:
            self.parts.append((" [ " + " ".join(repr(float(x)) for x in v) + " ]\n").encode())
        return self

    def int_vector(self, v) -> Writer:
        v = [int(x) for x in v]
        if self.binary:
            self.parts.append(b"\x04" + struct.pack("<i", len(v)) + struct.pack(f"<{len(v)}i", *v))
        else:
            self.parts.append(("[ " + " ".join(map(str, v)) + " ]\n").encode())
        return self

    def int_pair_vector(self, pairs) -> Writer:
        pairs = [(int(a), int(b)) for a, b in pairs]
        if self.binary:
            flat = [v for pair in pairs for v in pair]
            self.parts.append(b"\x04" + struct.pack("<i", len(pairs)) + struct.pack(f"<{len(flat)}i", *flat))
        else:
            self.parts.append(("[ " + " ".join(f"{a},{b}" for a, b in pairs) + " ]\n").encode())
        return self

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def rng_matrix(rng, rows, cols, scale=0.3):
    return (rng.standard_normal((rows, cols)) * scale).astype(np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- nnet1 --------------------------------------------------------------------------------------------------------
def write_nnet1(components: list[tuple], binary: bool, header: bool = True) -> bytes:
    """components: ("AffineTransform", W, b) | ("LinearTransform", W) | ("AddShift", s) | ("Rescale", s) |
    ("Splice", offsets, dim) | ("Copy", one_based, in_dim) | ("Sigmoid"|"Tanh"|"Softmax"|"Dropout", dim) |
    ("LstmProjected", dict) | ("ParallelComponent", [chain, chain], in_dim, out_dim)."""
    w = Writer(binary)
    _nnet1_chain(w, components, header)
    return w.bytes()


def _nnet1_chain(w: Writer, components, header: bool) -> None:
    if header:
        w.token("<Nnet>").raw("" if w.binary else "\n")
    for comp in components:
        kind = comp[0]
        if kind == "AffineTransform":
            _, wt, b = comp
            w.token("<AffineTransform>").int(wt.shape[0]).int(wt.shape[1]).raw("" if w.binary else "\n")
            w.token("<LearnRateCoef>").float(1.0).token("<BiasLearnRateCoef>").float(1.0)
            w.token("<MaxNorm>").float(0.0).matrix(wt).vector(b)
        elif kind == "LinearTransform":
            _, wt = comp
            w.token("<LinearTransform>").int(wt.shape[0]).int(wt.shape[1]).token("<LearnRateCoef>").float(1.0)
            w.matrix(wt)
        elif kind in ("AddShift", "Rescale"):
            _, v = comp
            w.token(f"<{kind}>").int(v.size).int(v.size).token("<LearnRateCoef>").float(0.0).vector(v)
        elif kind == "Splice":
            _, offsets, dim = comp
            w.token("<Splice>").int(dim * len(offsets)).int(dim).int_vector(offsets)
        elif kind == "Copy":
            _, index, in_dim = comp
            w.token("<Copy>").int(len(index)).int(in_dim).int_vector(index)
        elif kind in ("Sigmoid", "Tanh", "Softmax", "Dropout"):
            w.token(f"<{kind}>").int(comp[1]).int(comp[1])
            if kind == "Dropout":
                w.token("<DropoutRate>").float(0.1)
        elif kind == "LstmProjected":
            p = comp[1]
            cell, proj, n_in = p["w_rm"].shape[1], p["w_rm"].shape[0], p["w_x"].shape[1]
            w.token("<LstmProjected>").int(proj).int(n_in).token("<CellDim>").int(cell)
            w.token("<LearnRateCoef>").float(1.0).token("<BiasLearnRateCoef>").float(1.0)
            w.token("<CellClip>").float(p["cell_clip"]).token("<DiffClip>").float(1.0)
            w.token("<CellDiffClip>").float(0.0).token("<GradClip>").float(250.0)
            for key in ("w_x", "w_r"):
                w.matrix(p[key])
            for key in ("bias", "p_i", "p_f", "p_o"):
                w.vector(p[key])
            w.matrix(p["w_rm"])
        elif kind == "ParallelComponent":
            _, chains, in_dim, out_dim = comp
            w.token("<ParallelComponent>").int(out_dim).int(in_dim).token("<NestedNnetCount>").int(len(chains))
            for i, chain in enumerate(chains):
                w.token("<NestedNnet>").int(i + 1)
                _nnet1_chain(w, chain, True)
            w.token("</ParallelComponent>")
        else:
            raise ValueError(kind)
        w.token("<!EndOfComponent>").raw("" if w.binary else "\n")
    if header:
        w.token("</Nnet>")


def nnet1_forward(components: list[tuple], x: np.ndarray) -> np.ndarray:
    """nnet-forward on one utterance: Splice clamps frame indices to the utterance, LSTMs start from zeros."""
    x = x.astype(np.float64)
    for comp in components:
        kind = comp[0]
        if kind == "AffineTransform":
            x = x @ comp[1].T.astype(np.float64) + comp[2]
        elif kind == "LinearTransform":
            x = x @ comp[1].T.astype(np.float64)
        elif kind == "AddShift":
            x = x + comp[1]
        elif kind == "Rescale":
            x = x * comp[1]
        elif kind == "Splice":
            t = np.arange(len(x))
            x = np.concatenate([x[np.clip(t + o, 0, len(x) - 1)] for o in comp[1]], axis=1)
        elif kind == "Copy":
            x = x[:, np.asarray(comp[1]) - 1]
        elif kind == "Sigmoid":
            x = sigmoid(x)
        elif kind == "Tanh":
            x = np.tanh(x)
        elif kind == "Softmax":
            x = softmax(x)
        elif kind == "Dropout":
            pass
        elif kind == "LstmProjected":
            x = _lstm_projected(comp[1], x)
        elif kind == "ParallelComponent":
            outs, start = [], 0
            for chain in comp[1]:
                width = _nnet1_in_dim(chain)
                outs.append(nnet1_forward(chain, x[:, start:start + width]))
                start += width
            x = np.concatenate(outs, axis=1)
        else:
            raise ValueError(kind)
    return x


def _nnet1_in_dim(chain) -> int:
    first = chain[0]
    if first[0] in ("AffineTransform", "LinearTransform"):
        return first[1].shape[1]
    if first[0] in ("AddShift", "Rescale"):
        return first[1].size
    if first[0] in ("Splice", "Copy"):
        return first[2]
    if first[0] == "LstmProjected":
        return first[1]["w_x"].shape[1]
    return first[1]


def _lstm_projected(p: dict, x: np.ndarray) -> np.ndarray:
    cell, proj = p["w_rm"].shape[1], p["w_rm"].shape[0]
    r, c = np.zeros(proj), np.zeros(cell)
    out = []
    for x_t in x:
        z = p["w_x"] @ x_t + p["w_r"] @ r + p["bias"]
        g, i, f, o = (z[k * cell:(k + 1) * cell] for k in range(4))
        i = sigmoid(i + p["p_i"] * c)
        f = sigmoid(f + p["p_f"] * c)
        c = f * c + i * np.tanh(g)
        if p["cell_clip"] > 0:
            c = np.clip(c, -p["cell_clip"], p["cell_clip"])
        o = sigmoid(o + p["p_o"] * c)
        r = p["w_rm"] @ (o * np.tanh(c))
        out.append(r)
    return np.array(out)


def random_lstm(rng, n_in: int, cell: int, proj: int, cell_clip: float = 50.0) -> dict:
    return {"w_x": rng_matrix(rng, 4 * cell, n_in), "w_r": rng_matrix(rng, 4 * cell, proj),
            "bias": rng_matrix(rng, 1, 4 * cell)[0], "p_i": rng_matrix(rng, 1, cell)[0],
            "p_f": rng_matrix(rng, 1, cell)[0], "p_o": rng_matrix(rng, 1, cell)[0],
            "w_rm": rng_matrix(rng, proj, cell), "cell_clip": cell_clip}


# -- nnet2 --------------------------------------------------------------------------------------------------------
def write_nnet2(components: list[tuple], binary: bool, transition_model: bool = True,
                priors: np.ndarray | None = None) -> bytes:
    """components: ("Splice", dim, context, const_dim) | ("FixedAffine"|"Affine"|"AffinePreconditionedOnline",
    W, b) | ("Pnorm", in, out, p) | ("Normalize"|"Sigmoid"|"Tanh"|"RectifiedLinear"|"Softmax", dim) |
    ("FixedScale", scales) | ("FixedBias", bias)."""
    w = Writer(binary)
    if transition_model:
        # A minimal-looking transition model: the reader skips it whole.
        w.token("<TransitionModel>").token("<Topology>").raw("" if binary else "\n").token("<TopologyEntry>")
        w.token("<ForPhones>").raw("1 2 3 " if not binary else "").token("</ForPhones>").token("</TopologyEntry>")
        w.token("</Topology>").token("<Triples>").int(3).int(1).int(0).int(0).token("</Triples>")
        w.token("<LogProbs>").vector(np.log(np.full(3, 1 / 3))).token("</LogProbs>").token("</TransitionModel>")
    w.token("<Nnet>").token("<NumComponents>").int(len(components)).token("<Components>")
    for comp in components:
        kind = comp[0]
        if kind == "Splice":
            _, dim, context, const_dim = comp
            w.token("<SpliceComponent>").token("<InputDim>").int(dim).token("<Context>").int_vector(context)
            w.token("<ConstComponentDim>").int(const_dim).token("</SpliceComponent>")
        elif kind in ("FixedAffine", "Affine", "AffinePreconditionedOnline"):
            _, wt, b = comp
            name = {"FixedAffine": "FixedAffineComponent", "Affine": "AffineComponent",
                    "AffinePreconditionedOnline": "AffineComponentPreconditionedOnline"}[kind]
            w.token(f"<{name}>")
            if kind != "FixedAffine":
                w.token("<LearningRate>").float(0.001)
            w.token("<LinearParams>").matrix(wt).token("<BiasParams>").vector(b)
            if kind != "FixedAffine":
                w.token("<IsGradient>").bool(False)
            if kind == "AffinePreconditionedOnline":
                w.token("<Rank>").int(20).token("<UpdatePeriod>").int(4).token("<NumSamplesHistory>").float(2000.0)
                w.token("<Alpha>").float(4.0).token("<MaxChangePerSample>").float(0.075)
            w.token(f"</{name}>")
        elif kind == "Pnorm":
            _, n_in, n_out, p = comp
            w.token("<PnormComponent>").token("<InputDim>").int(n_in).token("<OutputDim>").int(n_out)
            w.token("<P>").float(p).token("</PnormComponent>")
        elif kind in ("Normalize", "Sigmoid", "Tanh", "RectifiedLinear", "Softmax"):
            dim = comp[1]
            w.token(f"<{kind}Component>").token("<Dim>").int(dim).token("<ValueSum>").vector(np.zeros(dim))
            w.token("<DerivSum>").vector(np.zeros(dim)).token("<Count>").double(0.0).token(f"</{kind}Component>")
        elif kind == "FixedScale":
            w.token("<FixedScaleComponent>").token("<Scales>").vector(comp[1]).token("</FixedScaleComponent>")
        elif kind == "FixedBias":
            w.token("<FixedBiasComponent>").token("<Bias>").vector(comp[1]).token("</FixedBiasComponent>")
        else:
            raise ValueError(kind)
    w.token("</Components>").token("</Nnet>")
    if priors is not None:
        w.vector(priors)
    return w.bytes()


def nnet2_context(components) -> tuple[int, int]:
    left = sum(-min(c[2]) for c in components if c[0] == "Splice")
    right = sum(max(c[2]) for c in components if c[0] == "Splice")
    return left, right


def nnet2_forward(components: list[tuple], x: np.ndarray) -> np.ndarray:
    """nnet2 (nnet-am-compute with padding): pad the input with copies of its edge frames by the total splice
    context, then each SpliceComponent shortens the chunk by its own context."""
    left, right = nnet2_context(components)
    t = np.arange(-left, len(x) + right)
    h = x[np.clip(t, 0, len(x) - 1)].astype(np.float64)
    for comp in components:
        kind = comp[0]
        if kind == "Splice":
            _, dim, context, const_dim = comp
            lo, hi = -min(context), max(context)
            rows = len(h) - lo - hi
            spliced = [h[lo + o:lo + o + rows, :dim - const_dim] for o in context]
            if const_dim:
                spliced.append(h[lo + context[0]:lo + context[0] + rows, dim - const_dim:])
            h = np.concatenate(spliced, axis=1)
        elif kind in ("FixedAffine", "Affine", "AffinePreconditionedOnline"):
            h = h @ comp[1].T.astype(np.float64) + comp[2]
        elif kind == "Pnorm":
            _, n_in, n_out, p = comp
            g = h.reshape(len(h), n_out, n_in // n_out)
            h = (np.abs(g) ** p).sum(axis=2) ** (1.0 / p)
        elif kind == "Normalize":
            h = h / np.sqrt(np.maximum((h * h).mean(axis=1, keepdims=True), 2.0 ** -66))
        elif kind == "Sigmoid":
            h = sigmoid(h)
        elif kind == "Tanh":
            h = np.tanh(h)
        elif kind == "RectifiedLinear":
            h = np.maximum(h, 0)
        elif kind == "Softmax":
            h = softmax(h)
        elif kind == "FixedScale":
            h = h * comp[1]
        elif kind == "FixedBias":
            h = h + comp[1]
        else:
            raise ValueError(kind)
    return h
