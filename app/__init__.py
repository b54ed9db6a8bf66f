"""easyMO Console: the PySide6 desktop side. Everything that is not Qt lives in easymo_core."""
