"""The model registry: completed training jobs registered as numbered versions of named
models, aliases (`production`, `staging`) that point at versions, and the refs
(`name`, `name@alias`, `name@v3`) that deployments predict by."""
