"""asv benchmarks of vsbengine, one module per module of the package."""
