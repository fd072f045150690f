"""Django's own localisation brought in line with ``ctg.formatting`` (FORMAT_MODULE_PATH)."""
