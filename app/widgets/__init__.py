"""Reusable widgets: the WhatsApp preview, status badges, spinner, banner, timeline."""
