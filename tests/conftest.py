"""Suite-wide fixtures. Tests never reach the internet: only 127.0.0.1."""
