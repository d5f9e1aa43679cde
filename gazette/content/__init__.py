"""Content loading: discover files, decode and parse them strictly, check the whole archive."""
