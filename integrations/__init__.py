"""Upstream providers behind small clients (HackSoft's `integrations/<provider>/client.py`).

`http` is the one upstream HTTP policy; each provider package describes its endpoints,
parses answers into typed records and reads its own error bodies. Nothing here imports
the domain apps: they call the clients and store the records.
"""
