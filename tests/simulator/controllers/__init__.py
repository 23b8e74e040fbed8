"""Controllers that make the simulator behave like a live cluster (registry operator, imports, ...).

server.py calls `install(api, manager, config)` here when it exists; the operator and image helpers
add their controllers and bootstrap objects from it.
"""
