"""kdio bisect: the commit behind a counted change, found by git bisect run."""
