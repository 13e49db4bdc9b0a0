"""Realtime: Socket.IO wraps the HTTP app; committed domain events become socket events.

See docs/adr/0007-realtime-and-scale-out.md for the protocol, `seq` and the ordering promise.
"""
