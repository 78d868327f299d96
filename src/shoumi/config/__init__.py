"""Project-wide configuration: settings, URLs, the command-line entry point and the UI shell."""
