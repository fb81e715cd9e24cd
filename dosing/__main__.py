"""`python -m dosing` is the `tacro` command."""
import sys

from dosing.cli import main

sys.exit(main())
