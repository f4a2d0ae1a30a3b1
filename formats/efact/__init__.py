"""The Belgian eFact flat format (message 920000) and the VSB answer messages."""
