"""The embedded SQLite store: schema, rows, private files and the Store API."""
