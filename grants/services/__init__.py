"""Writes of the grant lifecycle: one function per user action (see ``applications``).

Views, the API, bulk actions and the demo seed call these; nothing else writes applications.
"""
