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
