"""The guest side: runs inside the guest, from the runner zip or the share, and imports nothing of kdio."""
