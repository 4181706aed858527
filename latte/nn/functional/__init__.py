"""``latte.nn.functional`` (imported as ``F``): the functional form of every layer and loss."""
from latte.nn.functional.activation import *  # noqa: F401,F403
from latte.nn.functional.conv import *  # noqa: F401,F403
from latte.nn.functional.dropout import *  # noqa: F401,F403
from latte.nn.functional.linear import *  # noqa: F401,F403
from latte.nn.functional.loss import *  # noqa: F401,F403
from latte.nn.functional.misc import *  # noqa: F401,F403
from latte.nn.functional.normalization import *  # noqa: F401,F403
from latte.nn.functional.pooling import *  # noqa: F401,F403
from latte.nn.functional.sampling import *  # noqa: F401,F403
from latte.nn.functional.attention import *  # noqa: F401,F403
from latte.nn.functional.distance import *  # noqa: F401,F403
from latte.nn.functional.embedding_bag import *  # noqa: F401,F403
from latte.nn.functional.gumbel import *  # noqa: F401,F403
from latte.nn.functional.margin_loss import *  # noqa: F401,F403
from latte.nn.functional.norm_extra import *  # noqa: F401,F403
from latte.nn.functional.shuffle import *  # noqa: F401,F403
from latte.nn.functional.vision import *  # noqa: F401,F403
