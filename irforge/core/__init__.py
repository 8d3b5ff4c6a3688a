"""Framework-neutral graph core: element types, partial shapes, constant payloads, Graph/Node/Output."""
from .element_type import ElementType  # noqa: F401
from .graph import Constant, Graph, Node, Origin, Output, Parameter, Result, Use  # noqa: F401
from .op import Op, TensorInfo  # noqa: F401
from .shape import DYNAMIC, Dim, Interval, PartialShape  # noqa: F401
from .tensor import FileSlice  # noqa: F401
