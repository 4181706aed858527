"""The ``latte`` command line (``latte train|eval|sweep|plot``); see ``latte.cli.main``."""
