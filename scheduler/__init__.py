"""When and where it goes: the daemon, publishing, reconciling, collecting, the X client."""
