"""``python -m latte.compat SCRIPT.py [args...]``: run a PyTorch script on Latte."""
import sys

from latte.compat.runner import main

sys.exit(main())
