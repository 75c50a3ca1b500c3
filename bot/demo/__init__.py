"""``python -m bot demo``: the real desk against the built-in Bot API emulator, in a browser."""
