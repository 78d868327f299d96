"""Django's SQLite backend with the placeholder conversion of each query remembered."""
