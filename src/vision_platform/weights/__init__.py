"""Pretrained weights users bring: a store in artifact storage, and where a run finds them.

`store` keeps imported files (checked by their framework's adapter, sha256 recorded) under
`<VP_STORAGE_URI>/weights/<framework>/<model>/`; `search` is the ordered look-up a run with
`pretrained: true` makes (its own file, the store, VP_PRETRAINED_DIR, the library's cache and,
only with VP_ALLOW_DOWNLOADS=1, the hub), failing with every place it looked; `importing`
takes a file in (`vp weights import`, `POST /api/v1/weights`). Nothing here imports torch or a
framework: the adapters read the files.
"""
