"""A suite x kernel matrix across machines (GNU parallel over ssh)."""
