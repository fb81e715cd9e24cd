"""The `tacro` command: argument parsing and one module per subcommand."""
