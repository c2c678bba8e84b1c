"""A run end to end, on each target (a guest, several, or this machine's kernel): its context, its progress, the pre-flight."""
