"""Data sets as named, immutable versions: upload, validate, store, browse and resolve them.

A version is the digest of a data set's content, stored under artifact storage as
`datasets/<name>/<version>/`; its metadata (report, where it lives) is a database row.
"""
