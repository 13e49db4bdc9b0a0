"""WhatsApp instances: create, connect (QR or pairing code), sync, disconnect and delete."""
