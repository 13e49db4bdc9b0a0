"""Inbound WhatsApp: the webhook that fills the durable inbox, and the inbox admin views."""
