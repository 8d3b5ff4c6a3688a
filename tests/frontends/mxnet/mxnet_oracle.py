"""The MXNet oracle for the tests: a venv with mxnet 1.9.1 (it needs numpy<1.24) built on first use under
~/.cache/irforge/venv-mxnet-oracle, and the models make_models.py builds there (cached under
${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/mxnet/, keyed by the scripts that made them).
When the venv cannot be built (no network, no Python 3.11), the tests that need it are skipped with the reason."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent
VENV = Path(os.environ.get("IRFORGE_MXNET_ORACLE_VENV", Path.home() / ".cache/irforge/venv-mxnet-oracle"))
CACHE = Path(os.environ.get("IRFORGE_TEST_CACHE", Path.home() / ".cache/irforge/test-models")) / "mxnet"
PACKAGES = ["mxnet==1.9.1", "numpy<1.24", "gluoncv==0.10.5"]


def _digest(*files: str) -> str:
    h = hashlib.sha256()
    for name in files:
        h.update((HERE / name).read_bytes())
    return h.hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def oracle_python() -> str:
    """The oracle venv's python, built when absent (skips the calling test when that is impossible)."""
    python = VENV / "bin" / "python"
    if (VENV / ".complete").exists():
        return str(python)
    base = shutil.which("python3.11") or (sys.executable if sys.version_info[:2] == (3, 11) else None)
    if base is None:
        pytest.skip("the MXNet oracle needs Python 3.11 to build its venv (mxnet 1.9.1 has no newer wheels)")
    shutil.rmtree(VENV, ignore_errors=True)
    try:
        subprocess.run([base, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True, capture_output=True,
                       timeout=1800)
        subprocess.run([str(python), "-c", "import mxnet, gluoncv"], check=True, capture_output=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        detail = getattr(e, "stderr", b"") or b""
        pytest.skip(f"cannot build the MXNet oracle venv ({type(e).__name__}): "
                    f"{detail.decode(errors='replace')[-300:]}")
    (VENV / ".complete").touch()
    return str(python)


def _build(kind: str, script_files: tuple[str, ...], args: list[str]) -> Path:
    out = CACHE / f"{kind}-{_digest(*script_files)}"
    stamp = out / ".complete"
    if stamp.exists():
        return out
    python = oracle_python()
    for old in CACHE.glob(f"{kind}-*"):  # models of an older script
        if old != out:
            shutil.rmtree(old, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([python, str(HERE / "make_models.py"), *args, str(out)], capture_output=True,
                            timeout=3600, cwd=HERE)
    if result.returncode != 0:
        raise RuntimeError(f"make_models.py failed:\n{result.stderr.decode(errors='replace')[-3000:]}")
    stamp.touch()
    return out


@functools.lru_cache(maxsize=1)
def models_dir() -> Path:
    """The zoo nets and the symbolic test nets."""
    return _build("models", ("make_models.py",), ["--models"])


@functools.lru_cache(maxsize=1)
def ops_dir() -> Path:
    """The per-op cases."""
    return _build("ops", ("make_models.py", "op_cases.py"), ["--ops"])


def load_case(folder: Path, name: str) -> tuple[dict, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(manifest, inputs by name, MXNet's outputs by name) of a built case."""
    manifest = json.loads((folder / f"{name}.json").read_text())
    data = np.load(folder / f"{name}.npz")
    inputs = {k: data[f"in:{k}"] for k in manifest["inputs"]}
    outputs = {k: data[f"out:{k}"] for k in manifest["outputs"]}
    return manifest, inputs, outputs


def run_in_oracle(code: str, *args: str) -> str:
    """Run a snippet with MXNet (to check files irforge writes load in MXNet itself)."""
    result = subprocess.run([oracle_python(), "-c", code, *args], capture_output=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"MXNet failed:\n{result.stderr.decode(errors='replace')[-2000:]}")
    return result.stdout.decode()
