"""Models of the generation app arrive with their own issue."""
