"""The foundation every step stands on: settings, paths, storage, the landing zone and its contract."""
