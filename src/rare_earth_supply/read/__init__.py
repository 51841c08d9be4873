"""Finding and reading a data package: descriptor, safe paths, CSV files, field types."""
