"""Models of the ingestion app arrive with their own issue."""
