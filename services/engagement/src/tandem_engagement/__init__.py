"""Tandem engagement: what happens after a match, and whether it pays off.

So far this package holds the outcome analytics (:mod:`tandem_engagement.outcomes`), a
pure library, and its `tandem engage outcomes` command.
"""
