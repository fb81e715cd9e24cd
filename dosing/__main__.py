"""`python -m dosing` is the `tacro` command."""
import sys

from dosing.cli.main import main

sys.exit(main())
