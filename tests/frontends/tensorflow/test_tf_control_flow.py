"""Control flow: TF2 While/If (SavedModels, functional), TF1 while_loop / cond (Switch/Merge/Enter/Exit frames),
and the RNN layers built on them (Keras LSTM / GRU over tensor lists)."""
import pytest

from tf_models import case, check_case


@pytest.mark.parametrize("fmt", ["keras_export", "tf_save"])
def test_keras_lstm_gru(fmt, tmp_path):
    check_case(case("rnn", fmt), tmp_path)


def test_tf1_while_loop_and_cond(tmp_path):
    """Enter/Merge/Switch/Exit frames (nested) -> Loop; Switch/Merge conditionals -> Select."""
    check_case(case("tf1_control_flow", "raw"), tmp_path)


def test_keras_lstm_gru_frozen(tmp_path):
    """Frozen with TensorFlow's default lowering: the While loops become TF1 frames."""
    check_case(case("rnn", "frozen"), tmp_path)


# -- fused recurrent ops -----------------------------------------------------------------------------------------
import numpy as np  # noqa: E402

from tf_models import check_function, tf  # noqa: E402

rng = np.random.default_rng(31)
T, B, I, H = 6, 2, 4, 5


def _lstm_weights():
    t = tf()
    return (t.constant(rng.standard_normal((I + H, 4 * H)).astype(np.float32) * 0.5),
            t.constant(rng.standard_normal(4 * H).astype(np.float32) * 0.5),
            *[t.constant(rng.standard_normal(H).astype(np.float32) * 0.3) for _ in range(3)])


@pytest.mark.parametrize("version,peephole,clip,seq_len", [("", False, 3.0, T), ("", True, 0.5, T),
                                                          ("V2", False, 0.0, T), ("V2", True, 1.0, 4),
                                                          ("", False, -1.0, 3)])
def test_block_lstm(version, peephole, clip, seq_len, tmp_path):
    t = tf()
    w, b, wci, wcf, wco = _lstm_weights()
    op = getattr(t.raw_ops, "BlockLSTM" + version)
    extra = {} if version else {"forget_bias": 0.7}

    def fn(x, h0, c0):
        out = op(seq_len_max=np.int64(seq_len), x=x, cs_prev=c0, h_prev=h0, w=w, wci=wci, wcf=wcf, wco=wco, b=b,
                 cell_clip=clip, use_peephole=peephole, **extra)
        # Past seq_len_max TensorFlow zeroes h and cs but leaves the other outputs uninitialised.
        return (out.h, out.cs, out.i, out.co) if seq_len == T else (out.h, out.cs)
    feeds = [rng.standard_normal((T, B, I)).astype(np.float32), rng.standard_normal((B, H)).astype(np.float32),
             rng.standard_normal((B, H)).astype(np.float32)]
    check_function(fn, feeds, tmp_path)


def test_block_cells(tmp_path):
    t = tf()
    w, b, wci, wcf, wco = _lstm_weights()
    w_ru = t.constant(rng.standard_normal((I + H, 2 * H)).astype(np.float32) * 0.5)
    w_c = t.constant(rng.standard_normal((I + H, H)).astype(np.float32) * 0.5)
    b_ru, b_c = t.constant(rng.standard_normal(2 * H).astype(np.float32)), t.constant(np.zeros(H, np.float32))

    def fn(x, h0, c0):
        lstm = t.raw_ops.LSTMBlockCell(x=x, cs_prev=c0, h_prev=h0, w=w, wci=wci, wcf=wcf, wco=wco, b=b,
                                       use_peephole=True)
        gru = t.raw_ops.GRUBlockCell(x=x, h_prev=h0, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c)
        return lstm.h, lstm.cs, gru.h, gru.r
    feeds = [rng.standard_normal((B, I)).astype(np.float32), rng.standard_normal((B, H)).astype(np.float32),
             rng.standard_normal((B, H)).astype(np.float32)]
    check_function(fn, feeds, tmp_path)


@pytest.mark.parametrize("form", ["saved_model", "frozen"])
def test_tf2_while_cond_case(form, tmp_path):
    """tf.while_loop with a shape-changing variable and a TensorArray, tf.cond and tf.switch_case on run-time
    values: functional While/If/Case in the SavedModel, Switch/Merge frames once frozen (lowered)."""
    check_case(case(f"tf2_control_flow_{form}", "raw"), tmp_path)


def test_tf1_control_flow_outputs_found(tmp_path):
    """Without --output the results are the graph's sinks, but not TF1 control flow's leftovers: the Exit of a
    loop counter nobody reads and a cond's pivots (Identity of a Switch output, read only by control edges)."""
    c = case("tf1_control_flow", "raw")
    c.options.pop("output")
    check_case(c, tmp_path)
