"""Content analysis of the organisation's own posts and ads: what each sets out to do
(`content_intent`), its format and its service line, as a pure function of the landed text
(content/classifier.py, content/rules.py, content/posts.py)."""
