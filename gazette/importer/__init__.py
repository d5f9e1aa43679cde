"""Importing past newsletter issues: extracted text in, items and an issue out.

- ``layout``: the text of an issue as a PDF-to-text tool gives it, read into
  its parts: takeaways, items (title, hashtags, body lines), the events annex.
- ``prose``: an item's body lines made into Markdown (paragraphs re-flowed,
  bullets, URLs rejoined and linked, hyphenation repaired where the joined
  word exists elsewhere in the document).
- ``plan``: the files to write (front matter from the vocabulary and sections
  of the project), the report of unknown tags, the dry-run table and JSON.
- ``command``: ``build.py import``.
"""
