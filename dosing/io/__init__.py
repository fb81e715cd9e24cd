"""Reading and writing monitoring logs: the strict reader and CSV safety."""
