"""Local fake servers of the ad platforms, in their real shapes, for tests and benches."""
