"""`python -m model.cli`, the same as the `conflict-paragraphs` console script."""

from model.cli import main

main()
