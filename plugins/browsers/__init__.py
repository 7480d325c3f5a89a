"""Browser history, download, form, card, login and cookie parsers."""
