"""The optimizers of ai.onnx.preview.training (Adagrad, Adam, Momentum): one update step as elementwise math.
Inputs are R (learning rate), T (update count), then the tensors in groups (X..., G..., and the optimizer's state
...); the outputs are the updated X... and state...."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ..node import OnnxNode


def _k(n: OnnxNode, value: float, like: Output) -> Output:
    return n.const(np.array(value, like.element_type.numpy), like.element_type)


def _groups(n: OnnxNode, count: int) -> list[list[Output]]:
    tensors = [n.input(i) for i in range(2, len(n.inputs))]
    size = len(tensors) // count
    return [tensors[k * size:(k + 1) * size] for k in range(count)]


def _regularized(n: OnnxNode, x: Output, g: Output, coefficient: float) -> Output:
    return g if coefficient == 0 else n.out(ops.Add(), n.out(ops.Multiply(), x, _k(n, coefficient, x)), g)


def _started(n: OnnxNode, t: Output) -> Output:
    """T > 0 (a boolean scalar)."""
    return n.out(ops.Greater(), t, n.const(np.array(0, t.element_type.numpy), t.element_type))


def adagrad(n: OnnxNode) -> list[Output]:
    """r = R / (1 + T * decay); H' = H + G'^2; X' = X - r * G' / (sqrt(H') + epsilon)."""
    r, t = n.input(0), n.input(1)
    xs, gs, hs = _groups(n, 3)
    decay, eps = float(n.attr("decay_factor", 0.0)), float(n.attr("epsilon", 1e-6))
    norm = float(n.attr("norm_coefficient", 0.0))
    tf = n.out(ops.Convert(r.element_type), t)
    rate = n.out(ops.Divide(), r, n.out(ops.Add(), _k(n, 1.0, r), n.out(ops.Multiply(), tf, _k(n, decay, r))))
    new_x, new_h = [], []
    for x, g, h in zip(xs, gs, hs):
        gr = _regularized(n, x, g, norm)
        h2 = n.out(ops.Add(), h, n.out(ops.Multiply(), gr, gr))
        adaptive = n.out(ops.Add(), n.out(ops.Sqrt(), h2), _k(n, eps, x))
        step = n.out(ops.Divide(), n.out(ops.Multiply(), n.out(ops.ConvertLike(), rate, x), gr), adaptive)
        new_x.append(n.out(ops.Subtract(), x, step))
        new_h.append(h2)
    return new_x + new_h


def adam(n: OnnxNode) -> list[Output]:
    r, t = n.input(0), n.input(1)
    xs, gs, vs, hs = _groups(n, 4)
    alpha, beta = float(n.attr("alpha", 0.9)), float(n.attr("beta", 0.999))
    eps, norm = float(n.attr("epsilon", 1e-6)), float(n.attr("norm_coefficient", 0.0))
    post = float(n.attr("norm_coefficient_post", 0.0))
    tf = n.out(ops.Convert(r.element_type), t)
    correction = n.out(ops.Divide(),
                       n.out(ops.Sqrt(), n.out(ops.Subtract(), _k(n, 1.0, r), n.out(ops.Power(), _k(n, beta, r), tf))),
                       n.out(ops.Subtract(), _k(n, 1.0, r), n.out(ops.Power(), _k(n, alpha, r), tf)))
    rate = n.out(ops.Select(), _started(n, t), n.out(ops.Multiply(), r, correction), r)
    new_x, new_v, new_h = [], [], []
    for x, g, v, h in zip(xs, gs, vs, hs):
        gr = _regularized(n, x, g, norm)
        v2 = n.out(ops.Add(), n.out(ops.Multiply(), v, _k(n, alpha, v)), n.out(ops.Multiply(), gr, _k(n, 1 - alpha, v)))
        h2 = n.out(ops.Add(), n.out(ops.Multiply(), h, _k(n, beta, h)),
                   n.out(ops.Multiply(), n.out(ops.Multiply(), gr, gr), _k(n, 1 - beta, h)))
        root = n.out(ops.Add(), n.out(ops.Sqrt(), h2), _k(n, eps, h))
        x2 = n.out(ops.Subtract(), x, n.out(ops.Multiply(), n.out(ops.ConvertLike(), rate, x),
                                            n.out(ops.Divide(), v2, root)))
        if post:
            x2 = n.out(ops.Multiply(), x2, _k(n, 1 - post, x))
        new_x.append(x2)
        new_v.append(v2)
        new_h.append(h2)
    return new_x + new_v + new_h


def momentum(n: OnnxNode) -> list[Output]:
    """V' = alpha V + beta' G' (beta' = 1 at T = 0); X' = X - R V' (standard) or X - R (G' + alpha V')
    (nesterov)."""
    r, t = n.input(0), n.input(1)
    xs, gs, vs = _groups(n, 3)
    alpha, beta = float(n.attr("alpha")), float(n.attr("beta"))
    norm = float(n.attr("norm_coefficient", 0.0))
    nesterov = n.attr("mode", "standard") == "nesterov"
    new_x, new_v = [], []
    for x, g, v in zip(xs, gs, vs):
        gr = _regularized(n, x, g, norm)
        b = n.out(ops.Select(), _started(n, t), _k(n, beta, x), _k(n, 1.0, x))
        v2 = n.out(ops.Add(), n.out(ops.Multiply(), v, _k(n, alpha, v)), n.out(ops.Multiply(), gr, b))
        direction = n.out(ops.Add(), gr, n.out(ops.Multiply(), v2, _k(n, alpha, v))) if nesterov else v2
        new_x.append(n.out(ops.Subtract(), x, n.out(ops.Multiply(), n.out(ops.ConvertLike(), r, x), direction)))
        new_v.append(v2)
    return new_x + new_v
