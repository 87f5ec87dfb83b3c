"""Format modules that Django reads before its own (FORMAT_MODULE_PATH in settings)."""
