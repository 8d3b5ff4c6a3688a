"""The OpenVINO opset: one frozen dataclass per op (attributes, shape/type inference, numpy evaluation)."""
from .activation import *  # noqa: F401,F403
from .base import AutoPad, Constant, Op, Parameter, Result, RoundingType, TensorInfo  # noqa: F401
from .control_flow import *  # noqa: F401,F403
from .convolution import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .detection import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .interpolate import *  # noqa: F401,F403
from .logic import *  # noqa: F401,F403
from .scatter import *  # noqa: F401,F403
from .matmul import *  # noqa: F401,F403
from .misc import *  # noqa: F401,F403
from .nms import *  # noqa: F401,F403
from .movement import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .opset import OPSET, find_op  # noqa: F401
from .pooling import *  # noqa: F401,F403
from .quantization import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .roi import *  # noqa: F401,F403
from .shape_ops import *  # noqa: F401,F403
from .signal import *  # noqa: F401,F403
from .space_batch import *  # noqa: F401,F403
from .state import *  # noqa: F401,F403
from .yolo import *  # noqa: F401,F403
