"""``python -m minillm.data --bytes N --out FILE``: the old spelling of ``minillm corpus``."""

import sys

from minillm.cli import main

sys.exit(main(["corpus", *sys.argv[1:]]))
