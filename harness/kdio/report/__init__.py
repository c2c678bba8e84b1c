"""What a person reads: the table, latency, plots, the report page, fio's format, the cross-kernel table, comparisons."""
