"""Data set formats: detection, validation and demo data makers."""
