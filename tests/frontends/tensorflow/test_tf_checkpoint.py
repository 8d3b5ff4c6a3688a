"""The tensor-bundle reader without TensorFlow: CRC32C, the snappy block format, tables and bundle entries
(against TensorFlow's own checkpoint reader as the oracle)."""
import numpy as np
import pytest

from irforge.errors import InputError
from irforge.frontends.tensorflow.checkpoint import Checkpoint, resolve_prefix, snappy_decompress
from irforge.frontends.tensorflow.crc32c import crc32c, masked_crc32c, unmask
from tf_models import case, tf


def test_crc32c_check_values():
    assert crc32c(b"123456789") == 0xE3069283          # the standard CRC-32C check value
    assert crc32c(b"") == 0
    big = bytes(range(256)) * 500                      # long enough for the chunked path
    assert crc32c(big) == crc32c(bytearray(big))
    assert unmask(masked_crc32c(big)) == crc32c(big)


def test_crc32c_chunked_matches_bytewise():
    from irforge.frontends.tensorflow.crc32c import _raw_small
    data = np.random.default_rng(0).integers(0, 256, 70_001, dtype=np.uint8).tobytes()
    assert crc32c(data) == _raw_small(0xFFFFFFFF, data) ^ 0xFFFFFFFF


def test_snappy_literals_and_copies():
    # "abcabcabc": varint length 9, a 3-byte literal (tag (3-1)<<2), then a 1-byte-offset copy of 6 at offset 3
    # (tag ((6-4)<<2)|1 with the offset's high bits 0, then the offset's low byte).
    assert snappy_decompress(bytes([9, 0x08]) + b"abc" + bytes([0x09, 0x03])) == b"abcabcabc"
    # a 2-byte-offset copy (tag ((len-1)<<2)|2): "xy" then 4 copied from offset 2 -> "xyxyxy"
    assert snappy_decompress(bytes([6, 0x04]) + b"xy" + bytes([(4 - 1) << 2 | 2, 2, 0])) == b"xyxyxy"
    with pytest.raises(ValueError):
        snappy_decompress(bytes([5, 0x08]) + b"abc")


def test_bundle_against_tensorflow():
    t = tf()
    c = case("tf1_meta_resource", "raw")
    prefix = resolve_prefix(c.options["input_meta_graph"][:-len(".meta")])
    ours = Checkpoint(prefix)
    reader = t.train.load_checkpoint(prefix)
    theirs = reader.get_variable_to_shape_map()
    assert set(ours.keys()) == set(theirs)
    for key in theirs:
        np.testing.assert_array_equal(ours.array(key), reader.get_tensor(key))


def test_object_graph_of_a_saved_model():
    c = case("toy_cnn", "tf_save")
    ours = Checkpoint(c.options["saved_model_dir"] + "/variables/variables")
    keys = {a.checkpoint_key for n in ours.object_graph.nodes for a in n.attributes}
    assert {k for k in ours.keys() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"} <= keys


def test_missing_checkpoint(tmp_path):
    with pytest.raises(InputError, match="checkpoint not found"):
        resolve_prefix(str(tmp_path / "model.ckpt"))
    (tmp_path / "bad.index").write_bytes(b"\0" * 64)
    with pytest.raises(InputError, match="bad table magic"):
        Checkpoint(str(tmp_path / "bad"))
