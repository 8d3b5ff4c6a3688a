"""IR v10/v11 I/O, separate from conversion."""
from .reader import read_model  # noqa: F401
from .writer import save_model  # noqa: F401
