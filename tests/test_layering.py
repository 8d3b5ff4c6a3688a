"""The import rules of docs/ARCHITECTURE.md: core imports nothing above it, ops only core, frontends never
import each other, and no conversion path imports a framework that is only a test oracle."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "irforge"
ORACLES = {"tensorflow", "torch", "mxnet", "cv2", "onnxruntime", "openvino", "caffe", "keras"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            parts = path.relative_to(ROOT.parent).with_suffix("").parts[:-node.level]
            found.add(".".join(parts + ((node.module,) if node.module else ())))
    return found


def modules(sub: str):
    return sorted((ROOT / sub).rglob("*.py"))


def test_core_imports_only_core_and_errors():
    for path in modules("core"):
        bad = {m for m in imports(path) if m.startswith("irforge") and not m.startswith(("irforge.core",
                                                                                        "irforge.errors"))}
        assert not bad, f"{path}: {bad}"


def test_ops_import_only_core():
    for path in modules("ops"):
        bad = {m for m in imports(path) if m.startswith("irforge") and not m.startswith(
            ("irforge.core", "irforge.errors", "irforge.ops"))}
        assert not bad, f"{path}: {bad}"


def test_frontends_never_import_each_other():
    frontends = [p.name for p in (ROOT / "frontends").iterdir() if p.is_dir() and not p.name.startswith("_")]
    for fw in frontends:
        others = {f"irforge.frontends.{o}" for o in frontends if o != fw}
        for path in modules(f"frontends/{fw}"):
            bad = {m for m in imports(path) if any(m == o or m.startswith(o + ".") for o in others)}
            assert not bad, f"{path}: {bad}"


def test_no_oracle_framework_in_conversion_code():
    for path in ROOT.rglob("*.py"):
        if path.parts[-2] == "cli" and path.name == "devices.py":
            continue  # `irforge infer --device CPU` runs OpenVINO on request
        bad = {m for m in imports(path) if m.split(".")[0] in ORACLES}
        assert not bad, f"{path}: {bad}"
