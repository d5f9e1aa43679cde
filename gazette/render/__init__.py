"""Rendering: Markdown to sanitised HTML, wiki links, abbreviations, Jinja2 templates."""
