"""The measured paths: what a path is (pathdef), the registry (paths), fio's output, the IPsec paths."""
