"""All layer classes; each file holds one family."""
from latte.nn.modules.activation import *  # noqa: F401,F403
from latte.nn.modules.attention import *  # noqa: F401,F403
from latte.nn.modules.batchnorm import *  # noqa: F401,F403
from latte.nn.modules.container import *  # noqa: F401,F403
from latte.nn.modules.conv import *  # noqa: F401,F403
from latte.nn.modules.dropout import *  # noqa: F401,F403
from latte.nn.modules.flatten import *  # noqa: F401,F403
from latte.nn.modules.linear import *  # noqa: F401,F403
from latte.nn.modules.loss import *  # noqa: F401,F403
from latte.nn.modules.module import *  # noqa: F401,F403
from latte.nn.modules.normalization import *  # noqa: F401,F403
from latte.nn.modules.padding import *  # noqa: F401,F403
from latte.nn.modules.pooling import *  # noqa: F401,F403
from latte.nn.modules.rnn import *  # noqa: F401,F403
from latte.nn.modules.sparse import *  # noqa: F401,F403
from latte.nn.modules.transformer import *  # noqa: F401,F403
from latte.nn.modules.upsampling import *  # noqa: F401,F403
