"""``python -m minillm.data --bytes 10000000 --out corpus.txt``: write the course corpus to a file."""

from minillm.data.synthetic import main

main()
