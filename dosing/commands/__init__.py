"""One module per `tacro` subcommand: `add_arguments(parser)` and `run(args) -> int`."""
