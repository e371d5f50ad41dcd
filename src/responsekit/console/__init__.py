"""The live event console (opt-in, ``ResponsesServerOptions(console=True)``): a small web page under
``{route_prefix}/_console`` listing this process's recent responses and showing each one's event
timeline. Private: the host wires it in; nothing here is public API.

- ``recorder``: the observer keeping a bounded ring of recent responses (user keys only as hashes).
- ``loopback``: the rule that keeps the console on loopback unless explicitly allowed.
- ``routes``: the page, its static files and the JSON endpoints.
"""
