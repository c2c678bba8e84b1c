"""Records become results: the result file and its schema, the document, the console and kernel log, KTAP."""
