"""paycore's benchmarks: ``python -m benchmarks [--quick] [--json PATH]`` from the repository root.

Every figure is measured in one run beside a baseline on the same kind of store, and
reported as a ratio; nothing here asserts a time.
"""
