"""The reference runtime: runs an IR (or a converted Graph) with irforge's own numpy op evaluations."""
from .executor import CompiledModel, compile_model  # noqa: F401
