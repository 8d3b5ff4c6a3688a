"""Control flow: TF2 While/If (SavedModels, functional), TF1 while_loop / cond (Switch/Merge/Enter/Exit frames),
and the RNN layers built on them (Keras LSTM / GRU over tensor lists)."""
import pytest

from tf_models import case, check_case


@pytest.mark.parametrize("fmt", ["keras_export", "tf_save"])
def test_keras_lstm_gru(fmt, tmp_path):
    check_case(case("rnn", fmt), tmp_path)
