"""A realistic synthetic population for demos, tests and benchmarks (DOMAIN.md §9)."""
