"""``python -m vsbengine``: the same command line as the ``vsbengine`` script."""

from vsbengine.cli.launch import main

main()
