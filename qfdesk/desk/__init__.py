"""Services between the engine and the windows, Qt-free: the order desk that places trades."""
