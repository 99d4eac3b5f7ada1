"""The public web pages: Jinja2 templates (templates/), static files (static/) and their data (pages.py)."""
