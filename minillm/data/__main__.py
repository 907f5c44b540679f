"""``python -m minillm.data --bytes 10000000 --out corpus.txt``: write the course corpus to a file."""

import sys

from minillm.data.synthetic import main

sys.exit(main())
