"""Loopback OpenShift API simulator used by the collection's tests (see DESIGN.md and README.md)."""
