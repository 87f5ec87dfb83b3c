"""Page tests of the analyst's brief workflow."""
