"""``python -m latte.cli``: the same as the ``latte`` command."""
import sys

from latte.cli.main import main

sys.exit(main())
